import time, sys
from datetime import timedelta
from pathlib import Path
from tempfile import TemporaryDirectory
from concurrent.futures import ThreadPoolExecutor
import requests
from benchmarks import bench_backfill as b
from extract.polygon.endpoint import PolygonEndpoint
from extract.sandbox.market import SandboxMarket
from orchestration.services import resolve_endpoints
from orchestration.settings import read_settings
from orchestration.warehouse import export_connection_env, query
from orchestration.market_calendar import TradingCalendar
from orchestration.load_plan import plan_load
from orchestration.loads import land_polygon
from orchestration.bulk_load import run_load
from orchestration.dbt_runner import run_dbt
from extract.pipelines import make_pipeline
from tests.conftest import throwaway_database
from tests.support.cli import sandbox_process

settings = read_settings()
endpoints = resolve_endpoints(settings)
market = SandboxMarket(seed=42, size="full")
with throwaway_database(endpoints.database_url) as url, TemporaryDirectory() as scratch, \
     sandbox_process(Path(scratch) / "access.log", "--size", "full") as base_url:
    export_connection_env(url)
    ep = PolygonEndpoint(base_url, "bench-key", synthetic=True)
    cal = TradingCalendar()
    sessions = cal.sessions_between(b.LAST_SESSION - timedelta(days=5 * 365), b.LAST_SESSION)
    first = sessions[0].date
    symbols = b._symbols(market, 500, first)
    t = time.perf_counter()
    s = requests.Session()
    def get(sym):
        r = s.get(f"{base_url}/v2/aggs/ticker/{sym}/range/1/day/{first}/{b.LAST_SESSION}", params={"adjusted":"true","sort":"asc","limit":50000}, headers={"Authorization":"Bearer bench-key"})
        return len(r.content)
    with ThreadPoolExecutor(8) as pool:
        n = sum(pool.map(get, symbols))
    print(f"warm sandbox {time.perf_counter()-t:.1f}s {n/1e6:.0f}MB")
    t = time.perf_counter()
    with ThreadPoolExecutor(8) as pool:
        n = sum(pool.map(get, symbols))
    print(f"warm fetch raw http {time.perf_counter()-t:.1f}s")
    before = cal.sessions_between(first - timedelta(days=10), first)[0].date
    land_polygon(url, ep, resources=("tickers", "grouped_daily", "aggs_daily"), sessions=[before], symbols=symbols[:1], start=before, end=before)
    run_dbt("run", "--select", "+ohlcv_daily", target=settings.dbt_target)
    plan = plan_load(symbols, sessions, "day", market_size=len(market.listings))
    t = time.perf_counter()
    import orchestration.bulk_load as bl
    orig = bl.run_and_count
    from concurrent.futures import ThreadPoolExecutor as TPE
    overlap = TPE(1) if "overlap" in sys.argv else None
    futs = []
    def rc(p, data):
        r = orig(p, data)
        if overlap:
            futs.append(overlap.submit(run_dbt, "run", "--select", "ohlcv_daily", target=settings.dbt_target))
        for step in p.last_trace.steps:
            print(f"   {step.step} {(step.finished_at - step.started_at).total_seconds():.2f}s")
        return r
    bl.run_and_count = rc
    run_load(url, ep, plan, int(sys.argv[2]) if len(sys.argv) > 2 else b.CONCURRENCY, int(sys.argv[1]) if len(sys.argv) > 1 else b.BATCH_ROWS)
    if overlap:
        for f in futs: f.result()
    land = time.perf_counter() - t
    t = time.perf_counter()
    res = run_dbt("run", "--select", "ohlcv_daily", target=settings.dbt_target)
    build = time.perf_counter() - t
    for r in res.results:
        print("  ", r.node.name, round(r.execution_time, 2), [(x.name, round((x.completed_at - x.started_at).total_seconds(), 2)) for x in r.timing])
    rows = query(url, "select count(*) from marts.ohlcv_daily where date >= %s", (first,))[0][0]
    cp, cps = b._copy_rate(url, first)
    print(f"land {land:.1f} dbt {build:.1f} total {land+build:.1f} rows {rows} rate {rows/(land+build):.0f} copy {cp/cps:.0f} ratio {rows/(land+build)/(cp/cps):.0%}")
