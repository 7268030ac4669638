"""How long a package's document.pdf takes (compliance/package_pdf.py), for documents of the shapes the platform makes.

    python -m bench.package_pdf [--runs 5] [--blacklist-rows 50,1000]

No database: each case fills a ``PackageWriter`` the way its service does (the monthly regulator report's sections;
an inspection of 1,000,000 messages, whose document holds counts, not rows) and times ``close()``, which renders the
HTML, the PDF and signs the package, against the same close without the PDF. Prints JSON: per case the median
seconds with and without the PDF, the HTML's bytes, the PDF's bytes and pages, and the process's peak resident memory.
"""

from __future__ import annotations

import argparse
import io
import json
import os
import platform
import resource
import statistics
import sys
import tempfile
import time
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def _setup() -> None:
    os.environ.update({"GROUPCHAT_ENV": "dev", "DJANGO_SETTINGS_MODULE": "groupchat.settings", "LOG_LEVEL": "ERROR"})
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()


def _report(writer, blacklist_rows: int) -> None:
    from compliance.packages import Section

    writer.add_section(Section("处置措施", "Measures taken", paragraphs=["共 240 项。/ 240 in total."],
                               headers=["措施 / Measure", "变更 / Change", "数量 / Count"],
                               rows=[[f"措施类型 {i}", "issued", 20] for i in range(12)]))
    writer.add_section(Section("黑名单变更", "Blacklist changes", headers=["ID", "时间 / When", "变更 / Change",
                                                                      "对象 / Target"],
                               rows=[[i, "2026-11-03 10:00", "issued", f"用户 {i}"] for i in range(blacklist_rows)]))
    writer.add_section(Section("投诉举报处理", "Complaints and their handling", headers=["项目 / Item", "数值 / Value"],
                               rows=[["收到 / received", 812], ["已处理 / handled", 790]]))
    writer.add_section(Section("违法和不良信息处置（按类别）", "Held and blocked content by category",
                               headers=["类别 / Category", "拦截 / Blocked", "待审 / Held", "标记 / Flagged"],
                               rows=[[f"类别 {i}", 100 * i, 10 * i, i] for i in range(10)]))


def _inspection(writer) -> None:
    from compliance.packages import Section

    writer.add_section(Section("请求", "Request", headers=["项目 / Item", "内容 / Value"],
                               rows=[["机关 / Authority", "某市公安局网安支队"], ["文书编号 / Document", "公网调〔2026〕88号"],
                                     ["法律依据 / Legal basis", "《中华人民共和国网络安全法》第二十八条"]]))
    writer.add_section(Section("内容", "Contents", headers=["数据 / Data", "条数 / Rows", "文件 / Files"],
                               rows=[["群组消息 / Messages", 1_000_000, "data/messages.csv, .json"],
                                     ["网络日志 / Network log", 2_000_000, "data/network_log.csv, .json"]]))


def _close_once(fill, *, pdf: bool) -> tuple[float, bytes | None, int]:
    from django.test import override_settings

    from compliance.packages import PackageWriter

    with tempfile.TemporaryDirectory() as folder, override_settings(
            PACKAGE_PDF_FONT=None if pdf else "/nonexistent/font.ttc"):
        writer = PackageWriter(Path(folder) / "p.zip", kind="bench", title_zh="基准测试", title_en="Benchmark")
        fill(writer)
        started = time.perf_counter()
        writer.close()
        took = time.perf_counter() - started
        with zipfile.ZipFile(Path(folder) / "p.zip") as archive:
            body = archive.read("document.pdf") if "document.pdf" in archive.namelist() else None
            html_bytes = archive.getinfo("document.html").file_size
    return took, body, html_bytes


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--blacklist-rows", default="50,1000")
    args = parser.parse_args()
    _setup()
    from pypdf import PdfReader

    cases = {f"report ({n} blacklist rows)": (lambda w, n=n: _report(w, n))
             for n in map(int, args.blacklist_rows.split(","))}
    cases["inspection of 1,000,000 messages"] = _inspection
    _close_once(_inspection, pdf=True)  # warm-up: imports, font loading
    out = {}
    for name, fill in cases.items():
        with_pdf, without = [], []
        body = None
        for _ in range(args.runs):
            took, body, html_bytes = _close_once(fill, pdf=True)
            with_pdf.append(took)
            without.append(_close_once(fill, pdf=False)[0])
        assert body is not None, "no PDF was made: is fonts-wqy-microhei installed?"
        out[name] = {"close_with_pdf_s": round(statistics.median(with_pdf), 3),
                     "close_without_pdf_s": round(statistics.median(without), 3),
                     "html_bytes": html_bytes, "pdf_bytes": len(body), "pdf_pages": len(PdfReader(io.BytesIO(body)).pages)}
    out["peak_rss_mb"] = round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)
    out["machine"] = {"cpus": os.cpu_count(), "python": platform.python_version(), "load": os.getloadavg()}
    print(json.dumps(out, ensure_ascii=False, indent=2))


if __name__ == "__main__":
    main()
