import cProfile, pstats, time
from datetime import date
from pathlib import Path
from tempfile import TemporaryDirectory
from extract.polygon import polygon_source
from extract.polygon.work import BarRange
from extract.sandbox.market import SandboxMarket
from tests.support.cli import sandbox_process
from benchmarks import bench_backfill as b

market = SandboxMarket(seed=42, size="full")
first = date(2021, 1, 4)
symbols = b._symbols(market, 100, first)
with TemporaryDirectory() as scratch, sandbox_process(Path(scratch) / "a.log", "--size", "full") as base_url:
    ranges = [BarRange(s, "day", first, b.LAST_SESSION) for s in symbols]
    src = polygon_source(base_url, "k", ranges=ranges).with_resources("aggs_daily")
    list(src)  # warm
    src = polygon_source(base_url, "k", ranges=ranges).with_resources("aggs_daily")
    t = time.perf_counter()
    cProfile.run("n = sum(t.num_rows for t in src)", "/tmp/prof")
    print("rows", n, time.perf_counter() - t)
pstats.Stats("/tmp/prof").sort_stats("cumulative").print_stats(30)
