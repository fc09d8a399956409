import cProfile, pstats, time, os
from datetime import date
from pathlib import Path
from tempfile import TemporaryDirectory
import dlt
from extract.polygon import polygon_source
from extract.polygon.work import BarRange
from extract.sandbox.market import SandboxMarket
from tests.support.cli import sandbox_process
from benchmarks import bench_backfill as b
os.environ["NORMALIZE__PARQUET_NORMALIZER__ADD_DLT_LOAD_ID"] = "true"
os.environ["NORMALIZE__DATA_WRITER__DISABLE_COMPRESSION"] = "true"
market = SandboxMarket(seed=42, size="full")
first = date(2021, 1, 4)
symbols = b._symbols(market, 200, first)
with TemporaryDirectory() as scratch, sandbox_process(Path(scratch) / "a.log", "--size", "full") as base_url:
    ranges = [BarRange(s, "day", first, b.LAST_SESSION) for s in symbols]
    src = polygon_source(base_url, "k", ranges=ranges).with_resources("aggs_daily")
    list(src)  # warm
    p = dlt.pipeline("scratchprof", pipelines_dir=scratch, destination="postgres")
    src = polygon_source(base_url, "k", ranges=ranges, concurrency=1).with_resources("aggs_daily")
    t = time.perf_counter()
    cProfile.run("p.extract(src)", "/tmp/prof2")
    print("extract", time.perf_counter() - t)
    t = time.perf_counter()
    p.normalize()
    print("normalize", time.perf_counter() - t)
pstats.Stats("/tmp/prof2").sort_stats("tottime").print_stats(25)
