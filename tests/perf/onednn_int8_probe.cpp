// Probe, not project code: can oneDNN (the build JavaCPP ships as org.bytedeco:dnnl:3.13-1.5.14) run the int8
// engine's Linear - each token quantized with its own scale, per-output-channel weight scales, bias, exact GELU -
// as one fast primitive? Prints the implementation oneDNN picks for per-row source scales (its reference kernel),
// then times the fastest correct form found: a 3D [1, M, K] matmul whose per-row scale is a binary-multiply
// post-op, the bias added by a sum post-op onto a destination prefilled with it, GELU last (brg_matmul), with
// the quantization in plain C++ before it; checks the error against float32 and that a row alone gives the
// same bits as in a batch. Results and the verdict: tests/perf/results/cpu-epyc-zen5-onednn-int8.md.
// Build and run (the headers and library come out of the Maven jar):
//   J=~/.m2/repository/org/bytedeco/dnnl/3.13-1.5.14/dnnl-3.13-1.5.14-linux-x86_64.jar; D=/tmp/dnnl
//   mkdir -p $D && unzip -qo $J 'org/bytedeco/dnnl/linux-x86_64/*' -d $D && L=$D/org/bytedeco/dnnl/linux-x86_64
//   g++ -O3 -march=native -fopenmp -std=c++17 tests/perf/onednn_int8_probe.cpp -I$L/include -L$L -l:libdnnl.so.3 -Wl,-rpath,$L -o /tmp/p
//   OMP_NUM_THREADS=2 OMP_WAIT_POLICY=passive /tmp/p
#include <oneapi/dnnl/dnnl.hpp>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <random>
#include <vector>
#include <algorithm>
using namespace dnnl;
using tag = memory::format_tag;
using dt = memory::data_type;

static double now_us() {
    return std::chrono::duration<double, std::micro>(std::chrono::steady_clock::now().time_since_epoch()).count();
}

int main() {
    setvbuf(stdout, nullptr, _IONBF, 0);
    engine eng(engine::kind::cpu, 0);
    stream s(eng);
    {   // per-row source scales, as the engine quantizes: oneDNN accepts them only in its reference kernel
        primitive_attr attr;
        attr.set_scales_mask(DNNL_ARG_SRC, 1 << 0);
        attr.set_scales_mask(DNNL_ARG_WEIGHTS, 1 << 1);
        matmul::primitive_desc pd(eng, memory::desc({2048, 384}, dt::s8, tag::ab), memory::desc({384, 1536}, dt::s8, tag::any),
                                  memory::desc({1, 1536}, dt::f32, tag::ab), memory::desc({2048, 1536}, dt::f32, tag::ab), attr);
        printf("per-row source scales: %s\n", pd.impl_info_str());
    }
    std::mt19937 rng(7);
    std::normal_distribution<float> nd(0.f, 1.f);
    struct Shape { const char* name; int K, N; bool gelu; } shapes[] = {
        {"qkv", 384, 1152, false}, {"attention out", 384, 384, false}, {"intermediate", 384, 1536, true},
        {"output", 1536, 384, false}};
    int Ms[] = {64, 512, 2048};
    for (int M : Ms) {
        double layer = 0;
        for (auto& sh : shapes) {
            int K = sh.K, N = sh.N;
            // weights: f32 -> s8 per N symmetric
            std::vector<float> w(K * N), b(N), x(M * K);
            for (auto& v : w) v = 0.05f * nd(rng);
            for (auto& v : b) v = 0.1f * nd(rng);
            for (auto& v : x) v = nd(rng);
            for (int m = 0; m < M; m += 7) x[m * K + 5] = 30.f;
            std::vector<float> ws(N, 0.f);
            for (int n = 0; n < N; n++) { float a = 0; for (int k = 0; k < K; k++) a = std::max(a, std::fabs(w[k * N + n])); ws[n] = a / 127.f; }
            std::vector<int8_t> wq(K * N);
            for (int k = 0; k < K; k++) for (int n = 0; n < N; n++) wq[k * N + n] = (int8_t) std::lrint(w[k * N + n] / ws[n]);

            memory::desc src_md({1, M, K}, dt::s8, tag::abc);
            memory::desc wei_any({1, K, N}, dt::s8, tag::any);
            memory::desc wei_plain({1, K, N}, dt::s8, tag::abc);
            memory::desc dst_md({1, M, N}, dt::f32, tag::abc);
            primitive_attr attr;
            attr.set_scales_mask(DNNL_ARG_WEIGHTS, 1 << 2);
            // the per-row scale as a binary multiply by [M, 1], then the bias, then GELU
            post_ops po;
            po.append_binary(algorithm::binary_mul, memory::desc({1, M, 1}, dt::f32, tag::abc));
            po.append_sum(1.f);
            if (sh.gelu) po.append_eltwise(algorithm::eltwise_gelu_erf, 0.f, 0.f);
            attr.set_post_ops(po);
            matmul::primitive_desc pd;
            try {
                pd = matmul::primitive_desc(eng, src_md, wei_any, dst_md, attr);
            } catch (dnnl::error& e) {
                printf("M=%d %s: refused: %s\n", M, sh.name, e.what());
                continue;
            }
            matmul prim(pd);
            memory wplain(wei_plain, eng, wq.data());
            memory wpacked(pd.weights_desc(), eng);
            reorder(wplain, wpacked).execute(s, wplain, wpacked);
            memory wsm({{N}, dt::f32, tag::a}, eng, ws.data());
            std::vector<int8_t> xq(M * K);
            std::vector<float> xs(M), y(M * N);
            memory srcm(src_md, eng, xq.data());
            memory xsm({{1, M, 1}, dt::f32, tag::abc}, eng, xs.data());
            memory dstm(dst_md, eng, y.data());
            auto run = [&]() {
                // per-row symmetric quantization (what the engine would do before the primitive)
                #pragma omp parallel for
                for (int m = 0; m < M; m++) {
                    const float* r = &x[m * K];
                    float a = 0.f;
                    for (int k = 0; k < K; k++) a = std::max(a, std::fabs(r[k]));
                    float sc = std::max(a, 1e-30f) / 127.f, inv = 1.f / sc;
                    xs[m] = sc;
                    int8_t* q = &xq[m * K];
                    for (int k = 0; k < K; k++) q[k] = (int8_t) std::nearbyint(r[k] * inv);
                    std::memcpy(&y[m * N], b.data(), N * sizeof(float));  // the bias, which the sum post-op adds
                }
                prim.execute(s, {{DNNL_ARG_SRC, srcm}, {DNNL_ARG_WEIGHTS, wpacked},
                                 {DNNL_ARG_DST, dstm}, {DNNL_ARG_ATTR_MULTIPLE_POST_OP(0) | DNNL_ARG_SRC_1, xsm},
                                 {DNNL_ARG_ATTR_SCALES | DNNL_ARG_WEIGHTS, wsm}});
                s.wait();
            };
            for (int i = 0; i < 5; i++) run();
            std::vector<double> t;
            for (int i = 0; i < 40; i++) { double t0 = now_us(); run(); t.push_back(now_us() - t0); }
            std::sort(t.begin(), t.end());
            double med = t[t.size() / 2];
            layer += med;
            // error against float32 reference on a few rows
            double maxerr = 0, maxy = 0;
            for (int m = 0; m < std::min(M, 64); m++) for (int n = 0; n < N; n++) {
                double acc = b[n];
                for (int k = 0; k < K; k++) acc += (double) x[m * K + k] * w[k * N + n];
                if (sh.gelu) acc = 0.5 * acc * (1 + std::erf(acc / std::sqrt(2.0)));
                maxerr = std::max(maxerr, std::fabs(acc - y[m * N + n])); maxy = std::max(maxy, std::fabs(acc));
            }
            // batch independence: row 0 alone
            std::vector<float> y0(b);
            {
                memory::desc s1({1, 1, K}, dt::s8, tag::abc), d1({1, 1, N}, dt::f32, tag::abc);
                primitive_attr attr1;
                attr1.set_scales_mask(DNNL_ARG_WEIGHTS, 1 << 2);
                post_ops po1;
                po1.append_binary(algorithm::binary_mul, memory::desc({1, 1, 1}, dt::f32, tag::abc));
                po1.append_sum(1.f);
                if (sh.gelu) po1.append_eltwise(algorithm::eltwise_gelu_erf, 0.f, 0.f);
                attr1.set_post_ops(po1);
                matmul::primitive_desc pd1(eng, s1, pd.weights_desc(), d1, attr1);
                matmul p1(pd1);
                memory sm(s1, eng, xq.data()), dm(d1, eng, y0.data()), xs1({{1, 1, 1}, dt::f32, tag::abc}, eng, xs.data());
                p1.execute(s, {{DNNL_ARG_SRC, sm}, {DNNL_ARG_WEIGHTS, wpacked}, {DNNL_ARG_DST, dm},
                               {DNNL_ARG_ATTR_MULTIPLE_POST_OP(0) | DNNL_ARG_SRC_1, xs1},
                               {DNNL_ARG_ATTR_SCALES | DNNL_ARG_WEIGHTS, wsm}});
                s.wait();
            }
            bool same = std::memcmp(y0.data(), y.data(), N * sizeof(float)) == 0;
            printf("M=%d %-14s impl %-28s %8.1f us/call  err %.4f of max|y|  row0 alone identical: %s\n", M, sh.name,
                   pd.impl_info_str(), med, maxerr / maxy, same ? "yes" : "NO");
        }
        printf("M=%d one layer's four Linears: %.1f us; per row of 64 tokens: %.1f us\n", M, layer, layer / (M / 64.0));
    }
}
