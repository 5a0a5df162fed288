#!/usr/bin/env python3
"""The scoring engine's batching strategies, replayed in PyTorch where the Java job cannot run (a GPU machine
has no JDK).

Two steps:

  export  reads a `score` run's rows from the Delta table ROOT/predictions (exit layer and token count of
          every row, in the order Spark wrote them) into a small JSON trace; run it where the job ran.
  run     replays traces through BGE-small-shaped layers (random weights: speed does not depend on the
          values) with each strategy, on the CPU or a GPU, in fp32 and bf16, and prints rows/s, expected
          saving (1 - layers run / layers of the full model), actual saving (1 - time / time of the same
          strategy when every row runs every layer) and their ratio.

Strategies (glossary: B batch size, N layers, L tokens, H hidden size, C labels):

  batch1      the reference implementation's mode: each row alone, layer by layer, up to its exit.
  compaction  the Java engine's `--batching compaction` (DeeBertNetwork.encode): a partition's window of 16 B
              rows is sorted by length and cut into batches of B; after each layer's exit decision the rows
              that stay are cut to their longest length and gathered into a smaller batch. Late layers run
              on few rows.
  refill      the Java engine's `--batching refill`: one queue per layer inside a task: rows that survive
              layer k, from any batch, wait in queue k; layer k+1 runs when its queue holds B rows (deepest
              full queue first), and the queues are drained in layer order when the input ends (the Java
              engine drains at the end of each window of 16 batches; this script at the end of the task).
              Every layer runs on full batches but the last.
  refill-nosync  refill with the exit decision left on the device: entropy computed there, survivors
              gathered there, nothing read back per layer. Not what the Java engine does: the bound of what a
              device-side decision path could gain.
  refill-graph   refill-nosync with each layer and its exit replayed from a CUDA graph (one per layer,
              batch and width rounded up to 16 tokens): also no per-kernel launch cost. GPU only.
  refill-graph-readback  refill-graph with the engine's per-layer round trip kept: what graph capture behind
              JNI would give the Java engine, whose exit decisions stay on the host. GPU only.

Each strategy but refill-nosync and refill-graph ends every layer as the Java engine does: ramp logits computed
and copied to the host, the exit decision made there. Exits are not decided from the random logits but replayed
from the trace, so each strategy runs exactly the layers the real model ran. `--check` also compares every row's exit logits
across strategies (fp32), which holds only if batching never mixes rows.

Examples:
  python3 tests/perf/early_exit_sim.py export --output OUT --run-id test64 --out tests/perf/traces/x.json
  python3 tests/perf/early_exit_sim.py run --traces tests/perf/traces/*.json --device cuda \\
      --precisions fp32,bf16 --batch-sizes 32,256 --markdown sim.md
"""
import argparse
import glob
import json
import math
import os
import statistics
import sys
import time

import torch
import torch.nn.functional as F

# BGE-small-en-v1.5 (a BERT encoder): what the demo model and the README's figures use.
BGE_SMALL = dict(layers=12, hidden=384, heads=12, intermediate=1536, vocab=30522, positions=512, labels=2)


# ---------------------------------------------------------------------------------------------- export

def live_files(table):
    """Data files of the Delta table's latest version, with their partition values.

    Replays the JSON commit log by hand: neither delta-rs nor pyspark is installable here, and a scoring
    table needs only add/remove actions (a checkpoint would need its parquet read too: refused below).
    """
    log = os.path.join(table, "_delta_log")
    if os.path.exists(os.path.join(log, "_last_checkpoint")):
        sys.exit(f"{table} has a Delta checkpoint; export reads JSON commits only (run on a fresh output root)")
    files = {}
    for commit in sorted(glob.glob(os.path.join(log, "*.json"))):
        with open(commit) as f:
            for line in f:
                action = json.loads(line)
                if "add" in action:
                    files[action["add"]["path"]] = action["add"].get("partitionValues", {})
                elif "remove" in action:
                    files.pop(action["remove"]["path"], None)
    return files


def export(args):
    import pyarrow.parquet as pq
    from urllib.parse import unquote

    table = os.path.join(args.output, "predictions")
    parts = [path for path, values in live_files(table).items() if values.get("run_id") == args.run_id]
    if not parts:
        sys.exit(f"no rows of run {args.run_id!r} in {table}")
    exits, tokens, meta = [], [], set()
    for path in sorted(parts):
        rows = pq.read_table(os.path.join(table, unquote(path)),
                             columns=["exit_layer", "num_tokens", "error", "threshold", "max_seq_len",
                                      "precision", "model_sha256"]).to_pylist()
        for row in rows:
            if row["error"] is None:
                exits.append(row["exit_layer"])
                tokens.append(row["num_tokens"])
                meta.add((row["threshold"], row["max_seq_len"], row["precision"], row["model_sha256"]))
    if len(meta) != 1:
        sys.exit(f"run {args.run_id!r} mixes settings: {sorted(meta)}")
    threshold, max_seq_len, precision, sha = meta.pop()
    trace = dict(run_id=args.run_id, model_sha256=sha, threshold=threshold, max_seq_len=max_seq_len,
                 precision=precision, exit_layer=exits, num_tokens=tokens)
    with open(args.out, "w") as f:
        json.dump(trace, f, separators=(",", ":"))
    saving = 1 - sum(exits) / (BGE_SMALL["layers"] * len(exits))
    print(f"{args.out}: {len(exits)} rows, S={threshold}, {max_seq_len} tokens, expected saving {saving:.1%}")


# ------------------------------------------------------------------------------------------------ model

class Encoder:
    """BERT layers and DeeBERT exits with random weights, laid out like DeeBertNetwork.forInference: fused
    QKV with the 1/sqrt(D) scale folded into the query rows, GEMMs in the compute dtype, residual stream,
    LayerNorm and exits in fp32; attention as the engine's attention.pt, or one fused SDPA call."""

    def __init__(self, shape, device, dtype, attention):
        g = torch.Generator().manual_seed(0)
        H, I = shape["hidden"], shape["intermediate"]
        self.shape, self.device, self.dtype, self.attention = shape, device, dtype, attention
        self.heads = shape["heads"]

        def dense(out_features, in_features, compute=True):
            w = torch.randn(out_features, in_features, generator=g) / math.sqrt(in_features)
            b = torch.randn(out_features, generator=g) * 0.02
            cast = dtype if compute else torch.float32
            return w.to(device, cast), b.to(device, cast)

        def norm():
            return torch.ones(H, device=device), torch.zeros(H, device=device)

        self.word = torch.randn(shape["vocab"], H, generator=g).to(device) * 0.02
        self.position = torch.randn(shape["positions"], H, generator=g).to(device) * 0.02
        self.embed_norm = norm()
        self.layers = [dict(qkv=dense(3 * H, H), out=dense(H, H), norm1=norm(), up=dense(I, H),
                            down=dense(H, I), norm2=norm()) for _ in range(shape["layers"])]
        self.exits = [dict(pooler=dense(H, H, compute=False), classifier=dense(shape["labels"], H, compute=False))
                      for _ in range(shape["layers"])]
        self.graphs = {}
        self.pool = torch.cuda.graph_pool_handle() if device.type == "cuda" else None

    def embed(self, ids, lengths):
        """ids [B, L] int64, lengths [B] -> hidden [B, L, H] fp32, mask bias [B, 1, 1, L] compute dtype."""
        L = ids.shape[1]
        h = self.word[ids] + self.position[:L]
        mask = torch.arange(L, device=self.device)[None, :] < lengths[:, None]
        return F.layer_norm(h, h.shape[-1:], *self.embed_norm), self.mask_bias(mask)

    def mask_bias(self, mask):
        return torch.where(mask, 0.0, -1e4).to(self.dtype)[:, None, None, :]

    def layer(self, k, h, bias):
        """hidden [B, L, H] fp32, bias [B, 1, 1, L] -> [B, L, H] fp32."""
        w = self.layers[k]
        B, L, H = h.shape
        # [B, L, 3H] -> [3, B, A, L, D]
        qkv = F.linear(h.to(self.dtype), *w["qkv"]).view(B, L, 3, self.heads, H // self.heads).permute(2, 0, 3, 1, 4)
        if self.attention == "fused":
            # the query is pre-scaled, so SDPA's own scale is 1
            context = F.scaled_dot_product_attention(qkv[0], qkv[1], qkv[2], attn_mask=bias, scale=1.0)
        else:
            # the engine's attention.pt: [B, A, L, L] scores with the mask added in place, softmax, [B, A, L, D]
            scores = torch.matmul(qkv[0], qkv[1].transpose(-1, -2)).add_(bias)
            context = torch.matmul(torch.softmax(scores, -1), qkv[2])
        context = context.transpose(1, 2).reshape(B, L, H)
        h = F.layer_norm(F.linear(context, *w["out"]).float() + h, (H,), *w["norm1"])
        up = F.gelu(F.linear(h.to(self.dtype), *w["up"]))
        return F.layer_norm(F.linear(up, *w["down"]).float() + h, (H,), *w["norm2"])

    def exit_logits(self, k, h):
        """First token of hidden [B, L, H] -> logits [B, C] fp32 (pooler, tanh, classifier)."""
        e = self.exits[k]
        return F.linear(torch.tanh(F.linear(h[:, 0], *e["pooler"])), *e["classifier"])

    def graphed(self, k, h, lengths, batch):
        """Layer k and its exit replayed from a CUDA graph: hidden [n, w, H], lengths [n] -> hidden [n, w, H],
        logits [n, C]. One graph per (layer, batch, width): the rows are padded to `batch` and the width
        rounded up to 16 tokens, so a few shapes serve every run. The outputs are the graph's own buffers,
        valid until its next replay."""
        n, w, H = h.shape
        width = -(-w // 16) * 16
        key = (k, batch, width)
        if key not in self.graphs:
            h_in = torch.zeros(batch, width, H, device=self.device)
            lengths_in = torch.ones(batch, dtype=torch.long, device=self.device)

            def step():
                bias = self.mask_bias(torch.arange(width, device=self.device)[None, :] < lengths_in[:, None])
                out = self.layer(k, h_in, bias)
                return out, self.exit_logits(k, out)

            # warm-up on a side stream, as capture requires (cuBLAS workspaces, kernel choice)
            side = torch.cuda.Stream()
            side.wait_stream(torch.cuda.current_stream())
            with torch.cuda.stream(side):
                step()
            torch.cuda.current_stream().wait_stream(side)
            graph = torch.cuda.CUDAGraph()
            # one pool for all graphs: they replay one at a time on one stream, and every graph's inputs and
            # outputs stay alive, so only intermediates are shared
            with torch.cuda.graph(graph, pool=self.pool):
                out, logits = step()
            self.graphs[key] = (graph, h_in, lengths_in, out, logits)
        graph, h_in, lengths_in, out, logits = self.graphs[key]
        if n < batch or w < width:
            h_in.zero_()
            lengths_in.fill_(1)
        h_in[:n, :w].copy_(h)
        lengths_in[:n].copy_(lengths)
        graph.replay()
        return out[:n, :w], logits[:n]


def entropy(logits):
    p = torch.softmax(logits.float(), dim=-1)
    return -(p * torch.log(p.clamp_min(1e-30))).sum(-1)


def host_decision(logits):
    """The per-layer round trip the Java engine makes: logits to the host, entropy computed there."""
    return entropy(logits.cpu())


# ------------------------------------------------------------------------------------------- strategies

class Rows:
    """The rows of one task: token ids [R, maxlen], lengths [R], exit layers [R] (1..N)."""

    def __init__(self, ids, lengths, exits):
        self.ids, self.lengths, self.exits = ids, lengths, exits

    def windows(self, batch):
        """Positions in batches of `batch`, each window of 16 batches sorted by length (PartitionScorer)."""
        window = 16 * batch
        for start in range(0, len(self.lengths), window):
            order = sorted(range(start, min(start + window, len(self.lengths))), key=lambda i: self.lengths[i])
            for b in range(0, len(order), batch):
                yield order[b:b + batch]


def batch_inputs(model, rows, positions):
    width = max(rows.lengths[i] for i in positions)
    ids = torch.tensor([rows.ids[i][:width] for i in positions], device=model.device)
    lengths = torch.tensor([rows.lengths[i] for i in positions], device=model.device)
    return ids, lengths


def run_batch1(model, rows, batch, logits_out):
    for i in range(len(rows.lengths)):
        h, bias = model.embed(*batch_inputs(model, rows, [i]))
        for k in range(rows.exits[i]):
            h = model.layer(k, h, bias)
            logits = model.exit_logits(k, h)
            host_decision(logits)
        if logits_out is not None:
            logits_out[i] = logits[0].float().cpu()


def run_compaction(model, rows, batch, logits_out):
    for positions in rows.windows(batch):
        ids, lengths = batch_inputs(model, rows, positions)
        h, bias = model.embed(ids, lengths)
        running = list(positions)
        for k in range(model.shape["layers"]):
            h = model.layer(k, h, bias)
            logits = model.exit_logits(k, h)
            host_decision(logits)
            leaving = [j for j, i in enumerate(running) if rows.exits[i] == k + 1]
            if logits_out is not None:
                for j in leaving:
                    logits_out[running[j]] = logits[j].float().cpu()
            staying = [j for j, i in enumerate(running) if rows.exits[i] > k + 1]
            if not staying:
                break
            if len(staying) < len(running):
                width = max(rows.lengths[running[j]] for j in staying)
                keep = torch.tensor(staying, device=model.device)
                # cut, then gather: the gathered copy is contiguous (the other order leaves a strided view)
                h = h[:, :width].index_select(0, keep)
                bias = bias[..., :width].index_select(0, keep)
                running = [running[j] for j in staying]


def run_refill(model, rows, batch, logits_out, readback=True, graph=False):
    """readback: the Java engine's decision (logits read back after every layer run, survivors' index
    uploaded); without it, entropy is left on the device and the survivors gathered there: no round trip, the
    bound of any device-side decision path. graph: each layer and its exit replayed from a CUDA graph, so no
    per-kernel launches."""
    N = model.shape["layers"]
    # exits are replayed, not decided: on the device the trace's exit layers stand in for the entropy test
    exits = None if readback else torch.tensor(rows.exits, device=model.device)
    # queues[k]: chunks waiting for layer k + 1, each (row positions, hidden [n, w, H], lengths [n]) and, where
    # the decision stays on the device, the positions there [n]
    queues = [[] for _ in range(N)]
    sizes = [0] * N

    def take(k, n):
        """Up to n rows from the front of queue k as one batch, padded to its longest row."""
        chunks, got = [], 0
        while got < n and queues[k]:
            chunk = queues[k][0]
            if got + len(chunk[0]) <= n:
                queues[k].pop(0)
            else:
                cut = n - got
                queues[k][0] = tuple(part[cut:] for part in chunk)
                chunk = tuple(part[:cut] for part in chunk)
            chunks.append(chunk)
            got += len(chunk[0])
        sizes[k] -= got
        if len(chunks) == 1:
            return chunks[0]
        width = max(c[1].shape[1] for c in chunks)
        return ([p for c in chunks for p in c[0]],
                torch.cat([F.pad(c[1], (0, 0, 0, width - c[1].shape[1])) for c in chunks]),
                *(torch.cat(parts) for parts in zip(*(c[2:] for c in chunks))))

    def run_layer(k, n):
        running, h, lengths, *on_device = take(k, n)
        if graph:
            h, logits = model.graphed(k, h, lengths, batch)
        else:
            bias = model.mask_bias(torch.arange(h.shape[1], device=model.device)[None, :] < lengths[:, None])
            h = model.layer(k, h, bias)
            logits = model.exit_logits(k, h)
        # the decision's own work, paid as the engine pays it; its result is not used (exits are replayed)
        if readback:
            host_decision(logits)
        else:
            entropy(logits)
        if logits_out is not None:
            for j, i in enumerate(running):
                if rows.exits[i] == k + 1:
                    logits_out[i] = logits[j].float().cpu()
        staying = [j for j, i in enumerate(running) if rows.exits[i] > k + 1]
        if staying:
            width = max(rows.lengths[running[j]] for j in staying)
            if readback:
                keep = torch.tensor(staying, device=model.device)
            else:
                # a stable sort puts the staying rows first, in order; their count is all the host needs
                leaving = (exits.index_select(0, on_device[0]) <= k + 1).to(torch.int8)
                keep = torch.argsort(leaving, stable=True)[:len(staying)]
            queues[k + 1].append(([running[j] for j in staying], h[:, :width].index_select(0, keep),
                                  lengths.index_select(0, keep), *(p.index_select(0, keep) for p in on_device)))
            sizes[k + 1] += len(staying)

    for positions in rows.windows(batch):
        ids, lengths = batch_inputs(model, rows, positions)
        h, _ = model.embed(ids, lengths)
        chunk = (list(positions), h, lengths)
        if not readback:
            chunk += (torch.tensor(positions, device=model.device),)
        queues[0].append(chunk)
        sizes[0] += len(positions)
        while True:
            full = [k for k in range(N) if sizes[k] >= batch]
            if not full:
                break
            run_layer(full[-1], batch)
    for k in range(N):
        while sizes[k] > 0:
            run_layer(k, batch)


STRATEGIES = {"batch1": run_batch1, "compaction": run_compaction, "refill": run_refill,
              "refill-nosync": lambda *a: run_refill(*a, readback=False),
              "refill-graph": lambda *a: run_refill(*a, readback=False, graph=True),
              "refill-graph-readback": lambda *a: run_refill(*a, graph=True)}


# -------------------------------------------------------------------------------------------------- run

def load_trace(path, repeat, partitions, shape, seed=0):
    """The trace's rows tiled `repeat` times and dealt into contiguous partitions, as Spark reads a file."""
    with open(path) as f:
        trace = json.load(f)
    exits = trace["exit_layer"] * repeat
    lengths = trace["num_tokens"] * repeat
    g = torch.Generator().manual_seed(seed)
    width = max(lengths)
    ids = torch.randint(1000, shape["vocab"], (len(exits), width), generator=g).tolist()
    per = math.ceil(len(exits) / partitions)
    tasks = [Rows(ids[s:s + per], lengths[s:s + per], exits[s:s + per]) for s in range(0, len(exits), per)]
    return trace, tasks


def seconds(model, strategy, tasks, batch):
    """One pass over every task (tasks one after another, as on one executor core)."""
    if model.device.type == "cuda":
        torch.cuda.synchronize()
    start = time.perf_counter()
    for rows in tasks:
        STRATEGIES[strategy](model, rows, batch, None)
    if model.device.type == "cuda":
        torch.cuda.synchronize()
    return time.perf_counter() - start


def timed(model, strategy, contenders, batch, rounds):
    """Median seconds of each contender's passes: one untimed pass each (kernel choice, allocator), then
    `rounds` passes interleaved so that drift hits all alike."""
    for tasks in contenders:
        seconds(model, strategy, tasks, batch)
    times = [[] for _ in contenders]
    for _ in range(rounds):
        for c, tasks in enumerate(contenders):
            times[c].append(seconds(model, strategy, tasks, batch))
    return [statistics.median(t) for t in times]


def check(model, tasks, batch, strategies):
    """Largest difference of any row's exit logits between each strategy and compaction (fp32)."""
    worst = {}
    reference = {}
    for strategy in ["compaction"] + [s for s in strategies if s != "compaction"]:
        out = {}
        for t, rows in enumerate(tasks):
            logits = {}
            STRATEGIES[strategy](model, rows, batch, logits)
            out.update({(t, i): v for i, v in logits.items()})
        if strategy == "compaction":
            reference = out
        else:
            assert out.keys() == reference.keys(), f"{strategy} scored other rows than compaction"
            worst[strategy] = max((out[key] - reference[key]).abs().max().item() for key in reference)
    return worst


def run(args):
    device = torch.device(args.device)
    if device.type != "cuda" and any(s.startswith("refill-graph") for s in args.strategies.split(",")):
        sys.exit("refill-graph strategies replay CUDA graphs: they need --device cuda")
    if device.type == "cpu":
        torch.set_num_threads(args.threads)
    # fp32 means fp32: no TF32 tensor-core rounding in the GEMMs
    torch.backends.cuda.matmul.allow_tf32 = False
    torch.backends.cudnn.allow_tf32 = False
    torch.set_grad_enabled(False)
    card = torch.cuda.get_device_name(device) if device.type == "cuda" else f"CPU, {args.threads} threads"
    print(f"# {card}; torch {torch.__version__}; attention {args.attention}", flush=True)

    shape = dict(BGE_SMALL)
    strategies = args.strategies.split(",")
    results = []
    for path in args.traces:
        trace, tasks = load_trace(path, args.repeat, args.partitions, shape)
        reference_tasks = [Rows(t.ids[:args.batch1_rows], t.lengths[:args.batch1_rows],
                                t.exits[:args.batch1_rows]) for t in tasks]
        for precision in args.precisions.split(","):
            model = Encoder(shape, device, dict(fp32=torch.float32, bf16=torch.bfloat16)[precision], args.attention)
            for batch in [int(b) for b in args.batch_sizes.split(",")]:
                if args.check and precision == "fp32":
                    worst = check(model, reference_tasks, batch, strategies)
                    print(f"check {os.path.basename(path)} B={batch}: max |logit difference| vs compaction "
                          + ", ".join(f"{s} {d:.2e}" for s, d in worst.items()), flush=True)
                for strategy in strategies:
                    rowset = reference_tasks if strategy == "batch1" else tasks
                    full = [Rows(t.ids, t.lengths, [shape["layers"]] * len(t.exits)) for t in rowset]
                    n = sum(len(t.exits) for t in rowset)
                    layers_run = sum(sum(t.exits) for t in rowset)
                    t_exit, t_full = timed(model, strategy, [rowset, full], batch, args.rounds)
                    expected = 1 - layers_run / (shape["layers"] * n)
                    actual = 1 - t_exit / t_full
                    result = dict(trace=os.path.basename(path), max_seq_len=trace["max_seq_len"],
                                  threshold=trace["threshold"], precision=precision, batch=batch,
                                  strategy=strategy, rows=n, rows_per_s=n / t_exit, full_rows_per_s=n / t_full,
                                  expected_saving=expected, actual_saving=actual,
                                  actual_over_expected=actual / expected if expected > 0 else float("nan"))
                    results.append(result)
                    print(json.dumps(result), flush=True)
    table = markdown(f"{card}; attention {args.attention}", results)
    print(table)
    if args.markdown:
        with open(args.markdown, "w") as f:
            f.write(table)


def markdown(card, results):
    lines = [f"{card}; torch {torch.__version__}", "",
             "| tokens | S | precision | batch | strategy | rows | rows/s | S=0 rows/s | expected saving "
             "| actual saving | actual/expected | x compaction |",
             "|---|---|---|---|---|---|---|---|---|---|---|---|"]
    for r in results:
        base = next(c for c in results if c["strategy"] == "compaction" and all(
            c[k] == r[k] for k in ("trace", "precision", "batch")))
        lines.append(f"| {r['max_seq_len']} | {r['threshold']:.3g} | {r['precision']} | {r['batch']} "
                     f"| {r['strategy']} | {r['rows']} | {r['rows_per_s']:.0f} | {r['full_rows_per_s']:.0f} "
                     f"| {r['expected_saving']:.1%} | {r['actual_saving']:.1%} | {r['actual_over_expected']:.2f} "
                     f"| {r['rows_per_s'] / base['rows_per_s']:.2f} |")
    return "\n".join(lines) + "\n"


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    commands = parser.add_subparsers(dest="command", required=True)
    e = commands.add_parser("export", help="a score run's exits and lengths from ROOT/predictions to JSON")
    e.add_argument("--output", required=True, help="score's --output ROOT")
    e.add_argument("--run-id", required=True)
    e.add_argument("--out", required=True, help="trace file to write")
    r = commands.add_parser("run", help="replay traces through each batching strategy")
    r.add_argument("--traces", nargs="+", required=True)
    r.add_argument("--device", default="cuda" if torch.cuda.is_available() else "cpu")
    r.add_argument("--threads", type=int, default=2, help="intra-op threads on the CPU")
    r.add_argument("--precisions", default="fp32,bf16")
    r.add_argument("--batch-sizes", default="32")
    r.add_argument("--strategies", default="batch1,compaction,refill")
    r.add_argument("--attention", choices=["engine", "fused"], default="engine",
                   help="engine: matmul, softmax, matmul as the Java engine; fused: one scaled_dot_product_attention")
    r.add_argument("--partitions", type=int, default=2)
    r.add_argument("--repeat", type=int, default=1, help="tile the trace's rows (steadier GPU timings)")
    r.add_argument("--batch1-rows", type=int, default=128, help="rows per task in batch-1 mode")
    r.add_argument("--rounds", type=int, default=3)
    r.add_argument("--check", action="store_true", help="compare every row's exit logits across strategies")
    r.add_argument("--markdown", help="also write the table here")
    args = parser.parse_args()
    export(args) if args.command == "export" else run(args)


if __name__ == "__main__":
    main()
