"""The timer the kernel microbenchmarks beside this file share."""
import time


def median_us(call, runs=31):
    """Median microseconds of `runs` calls of `call`, after 3 unmeasured warm-up calls."""
    for _ in range(3):
        call()
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        call()
        times.append(time.perf_counter() - start)
    return sorted(times)[runs // 2] * 1e6
