"""The project's own offline portal on 127.0.0.1: one 年报 column per CMS dialect, built from its own
documents (`demo/data`) and generated reports.

Government portals cannot be reached from here, so tests, benchmarks and the default run crawl this.
It serves what the real ones do: TRS static pages with `createPageHTML` and attachments in script arrays,
a Hanweb column with an embedded `<datastore>` and POST paging through `dataproxy.jsp`, a VSB count-down
list with downloads that need a Referer, a gkmlpt JSON API, a generic list with 下一页 links; GBK pages
without a charset, PDF/DOCX/DOC attachments, a report whose tables are pictures, a 图片版 beside its
全文版 whose numbers disagree (the archive's `sources.agree` check shows it), a report whose text quotes
`<script>` markup, another agency's report in a column, noise items (指南, 预算, 工作要点), a page that answers 500
once, a dead link, and a site behind a 瑞数-style 412 wall. Every response has an ETag and a
Last-Modified and honours conditional requests; `replace()` changes a document between crawls.
"""
from __future__ import annotations

import hashlib
import html
import io
import json
import threading
import time
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qs, quote, urlparse

import yaml

from demo import DATA
from demo import documents as docs
from extract.soffice import convert, soffice

LAST_MODIFIED = "Mon, 20 Jan 2025 08:00:00 GMT"


@dataclass
class Resource:
    body: bytes
    content_type: str
    options: dict | None = None  # status, set_cookie, fail_once, needs_referer, stall (seconds)


def _pingtan(year: int) -> bytes:
    return (DATA / f"pingtan-{year}.html").read_bytes()


def report_page(title: str, agency: str, unit: int, charset: str | None = "utf-8", extra: str = "",
                article=('<div class="TRS_Editor">', "</div>"), published: str = "2025-01-20",
                carried: tuple = (None, None), says: int | None = None, overview: str = "", tables: bool = True,
                blank_zeros: bool = False) -> str:
    """A generated report page. `carried` is (row 2, row 4) for the carry-over between years; `says` puts
    the figures in the prose, off by that much (0: agreeing); without `tables` the page has none."""
    report = docs.sample_report(unit, *carried)
    body = (docs.html_tables(report, blank_zeros) if tables else "<p>统计数据略。</p>") + extra
    if says is not None:
        overview += docs.statements(report, says)
    return docs.html_page(body, article[0], article[1], charset=charset, title=title, agency=agency,
                          published=published, overview=overview)


# Row 4 of the sample reports, carried into the next year's row 2 (and Huai'an's real row 2, for the two
# generated reports that precede its PDF).
CARRY = [1, 2, 3, 4, 5, 6]
HUAIAN_CARRY = [34, 0, 0, 0, 0, 0]


def _same_every_year(year: int) -> str:
    """A 总体情况 an agency copies from year to year, changing only the year."""
    return (f"<p>{year}年，本县坚持以公开为常态、不公开为例外，持续深化政务公开工作。全面梳理主动公开基本目录，"
            "及时更新政府信息公开指南。严格落实政府信息公开保密审查制度，确保公开信息准确规范。"
            "加强政府网站和政务新媒体建设，不断拓宽公开渠道。积极回应社会关切，认真做好重要政策解读工作。</p>"
            "<p>依法依规办理政府信息公开申请，确保答复内容准确、程序规范。加强政府信息公开工作人员业务培训，"
            "提升依法公开能力。完善政府信息公开考核评议机制，压实工作责任。</p>")


def _list_page(links: list[tuple[str, str]], extra: str = "", charset: str = "utf-8", wrap=("<ul>", "</ul>")) -> str:
    items = "".join(f'<li><a href="{href}" title="{html.escape(title)}" target="_blank">{html.escape(title)}</a>'
                    f"<span>2025-01-20</span></li>" for href, title in links)
    return (f'<html><head><meta charset="{charset}"><title>政府信息公开年报</title></head><body>'
            f'<div class="nav"><a href="/">首页</a><a href="/zwgk/">政务公开</a></div>'
            f"{wrap[0]}{items}{wrap[1]}{extra}</body></html>")


class DemoPortal:
    SITES = [
        {"name": "demo-trs", "agency": "示例市卫生健康委员会", "region": "浙江省杭州市", "path": "/trs/zfxxgknb/index.html",
         "cms": None},
        {"name": "demo-hanweb", "agency": "示例县人民政府", "region": "江苏省南京市江宁区", "path": "/hanweb/col/col1234/index.html",
         "cms": None},
        {"name": "demo-vsb", "agency": "示例区教育局", "region": "湖北省武汉市洪山区", "path": "/vsb/nb.htm", "cms": None},
        {"name": "demo-gkmlpt", "agency": "示例市交通运输局", "region": "广东省深圳市", "path": "/gkmlpt/index#2847",
         "cms": "gkmlpt"},
        {"name": "demo-generic", "agency": "示例镇人民政府", "region": "四川省成都市双流区", "path": "/generic/list.html",
         "cms": None},
        {"name": "demo-countpage", "agency": "示例市统计局", "region": "浙江省宁波市", "path": "/countpage/nb/index.html",
         "cms": None},
        {"name": "demo-script", "agency": "示例市审计局", "region": "浙江省温州市", "path": "/script/nb/index.html",
         "cms": None},
        {"name": "demo-mixed", "agency": "示例市民政局", "region": "浙江省绍兴市", "path": "/mixed/nb/list.html",
         "cms": None},
        {"name": "demo-blocked", "agency": "示例市生态环境局", "region": "浙江省杭州市", "path": "/blocked/nb/index.html",
         "cms": None},
        {"name": "demo-loop", "agency": "示例市水利局", "region": "浙江省杭州市", "path": "/loop/nb/index.html",
         "cms": None},
    ]

    def __init__(self, host: str = "127.0.0.1", port: int = 0, latency: float = 0.0, work_dir: Path | None = None):
        self.host, self.requested_port, self.latency = host, port, latency
        self.work_dir = work_dir
        self.routes: dict[str, Resource] = {}
        self.failed_once: set[str] = set()
        self.hits: list[tuple[str, str, int]] = []
        self.arrivals: list[tuple[float, str]] = []  # (time.monotonic(), path) of every request as it arrives
        self.user_agents: set[str] = set()
        self.lock = threading.Lock()
        self._build()

    # --- content ---------------------------------------------------------------------------------

    def add(self, path: str, body: bytes | str, content_type: str = "text/html; charset=utf-8", **options) -> None:
        data = body.encode("utf-8") if isinstance(body, str) else body
        self.routes[path] = Resource(data, content_type, options or None)

    def replace(self, path: str, body: bytes | str) -> None:
        """Change a document on the portal (its ETag changes with it)."""
        resource = self.routes[path]
        self.routes[path] = Resource(body.encode("utf-8") if isinstance(body, str) else body,
                                     resource.content_type, resource.options)

    def _build(self) -> None:
        huaian = (DATA / "huaian-2024.pdf").read_bytes()
        docx_bytes = self._docx()
        self.add("/robots.txt", "User-agent: *\nDisallow: /private/\n", "text/plain")
        self._trs(huaian)
        self._hanweb(docx_bytes)
        self._vsb(docx_bytes, huaian)
        self._gkmlpt()
        self._generic(huaian)
        self._countpage()
        self._script()
        self._mixed(docx_bytes)
        self.add("/blocked/nb/index.html", "<html><head><script>$_ts=window['$_ts'];if(!$_ts)$_ts={};"
                 "$_ts.nsd=28712;$_ts.cd='qEjrrAl...';</script><script src='/4QbVtADbnLVIc/c.FxJzG50F.dfe1675.js'>"
                 "</script></head><body></body></html>", status=412,
                 set_cookie="FSSBBIl1UgzbN7N80S=Qc1xRP6PbcUDHd; path=/; expires=Thu, 01 Jan 2026 00:00:00 GMT")
        self.add("/blocked/nb/t20250120_1.html", report_page("示例市生态环境局2024年政府信息公开工作年度报告",
                                                             "示例市生态环境局", 3))
        # A cookie check that never settles: the column sends the crawler back to itself with a new cookie.
        self.add("/loop/nb/index.html", b"", status=302, location="/loop/nb/index.html",
                 set_cookie="__jsl_clearance=1700000000.1|0|abc; path=/")

    def _docx(self) -> bytes:
        import tempfile

        folder = Path(self.work_dir or tempfile.mkdtemp(prefix="nianbao-demo-"))
        folder.mkdir(parents=True, exist_ok=True)
        path = docs.fill_template(docs.sample_report(2, CARRY), folder / "demo.docx")
        self.folder = folder
        return path.read_bytes()

    def _doc(self, docx_bytes: bytes) -> bytes | None:
        """The DOCX saved as legacy DOC, when LibreOffice is here to do it."""
        if not soffice():
            return None
        path = self.folder / "legacy.docx"
        path.write_bytes(docx_bytes)
        try:
            return convert(path, "doc", self.folder).read_bytes()
        except Exception:  # noqa: BLE001 - the portal serves without the DOC then
            return None

    def _trs(self, huaian: bytes) -> None:
        agency = "示例市卫生健康委员会"
        pager = '<div class="page"><script>createPageHTML(2, 0, "index", "html");</script></div>'
        self.add("/trs/zfxxgknb/index.html", _list_page([
            ("./202501/t20250120_1001.html", f"{agency}2024年政府信息公开工作年度报告"),
            ("./202503/t20250310_97791.html", "平潭综合实验区2024年度政府信息公开工作年度报告"),
            ("./202501/t20250118_1000.html", f"{agency}政府信息公开指南"),
        ], pager))
        self.add("/trs/zfxxgknb/index_1.html", _list_page([
            ("./202401/t20240120_900.html", f"{agency}2023年政府信息公开工作年度报告"),
            ("./202302/t20230220_80629.html", "平潭综合实验区2022年度政府信息公开工作年度报告"),
        ], pager.replace("2, 0", "2, 1")))
        apps = ("<script>var apps1 = ['<a href=\"./P020250120361234567890.pdf\">" + agency +
                "2024年政府信息公开工作年度报告.pdf</a>'];</script>")
        # The page introduces the report and links its PDF, as TRS portals mostly do: the PDF has the tables.
        page = docs.html_page("<p>本年度统计数据详见附件。</p>" + apps, charset=None,
                              title=f"{agency}2024年政府信息公开工作年度报告", agency=agency, published="2025-01-20")
        self.add("/trs/zfxxgknb/202501/t20250120_1001.html", page.encode("gbk"), "text/html")
        self.add("/trs/zfxxgknb/202501/P020250120361234567890.pdf", huaian, "application/pdf")
        self.add("/trs/zfxxgknb/202503/t20250310_97791.html", _pingtan(2024))
        self.add("/trs/zfxxgknb/202302/t20230220_80629.html", _pingtan(2022))
        self.add("/trs/zfxxgknb/202501/t20250118_1000.html", "<html><body>政府信息公开指南</body></html>")
        self.add("/trs/zfxxgknb/202401/t20240120_900.html",
                 report_page(f"{agency}2023年政府信息公开工作年度报告", agency, 3, published="2024-01-20",
                             carried=(None, HUAIAN_CARRY), says=0),
                 fail_once="500")

    def _hanweb(self, docx_bytes: bytes) -> None:
        agency = "示例县人民政府"

        def record(n, title):
            return (f'<record><![CDATA[<li><a href="/hanweb/art/2025/1/20/art_1234_{n}.html" title="{title}" '
                    f'target="_blank">{title}</a><span>2025-01-20</span></li>]]></record>')

        titles = {1: f"{agency}2024年政府信息公开工作年度报告", 2: f"{agency}2023年政府信息公开工作年度报告",
                  3: "示例县2024年部门预算", 4: f"{agency}2022年政府信息公开工作年度报告"}
        store = ("<script type=\"text/xml\"><datastore><nextgroup><![CDATA[<a href=\"/module/web/jpage/dataproxy.jsp?"
                 "page=1&appid=1&webid=1&path=/&columnid=1234&unitid=5678&webname=%E7%A4%BA%E4%BE%8B&permissiontype=0\">"
                 "</a>]]></nextgroup><recordset>" + record(1, titles[1]) + record(2, titles[2]) +
                 "</recordset></datastore></script><script src=\"/module/web/jpage/jpage.js\"></script>"
                 "<script>$(function(){ $('#5678').jpage({ perPage: 2, totalRecord: 4 }); });</script>")
        self.add("/hanweb/col/col1234/index.html", _list_page([], store))
        self.hanweb_records = {n: record(n, t) for n, t in titles.items()}
        download = ("<p>附件：<a href=\"/module/download/downfile.jsp?classid=0&filename=2501201234.docx&showname="
                    + quote(f"{agency}2024年政府信息公开工作年度报告.docx") + "\">点击下载</a></p>")
        self.add("/hanweb/art/2025/1/20/art_1234_3.html", "<html><body>部门预算</body></html>")
        zoom = ('<div id="zoom">', "</div>")
        # 2022 has no tables; 2023 and 2024 carry over, and 2024 copies 2023's 总体情况 (its page and DOCX
        # give the same numbers).
        self.add("/hanweb/art/2025/1/20/art_1234_4.html",
                 report_page(titles[4], agency, 8, article=zoom, published="2023-03-20", tables=False))
        self.add("/hanweb/art/2025/1/20/art_1234_2.html",
                 report_page(titles[2], agency, 6, article=zoom, published="2024-03-22", carried=(CARRY, None),
                             overview=_same_every_year(2023)))
        self.add("/hanweb/art/2025/1/20/art_1234_1.html",
                 report_page(titles[1], agency, 2, extra=download, article=zoom, published="2025-03-18",
                             carried=(CARRY, None), overview=_same_every_year(2024)))
        self.add("/module/download/downfile.jsp", docx_bytes,
                 "application/vnd.openxmlformats-officedocument.wordprocessingml.document")

    def _hanweb_proxy(self, query: dict) -> bytes:
        start, end = int(query.get("startrecord", ["1"])[0]), int(query.get("endrecord", ["1"])[0])
        chosen = [r for n, r in self.hanweb_records.items() if start <= n <= end]
        return (f"<datastore><totalrecord>{len(self.hanweb_records)}</totalrecord><recordset>{''.join(chosen)}"
                "</recordset></datastore>").encode("utf-8")

    def _vsb(self, docx_bytes: bytes, huaian: bytes) -> None:
        agency = "示例区教育局"
        vsb_article = ('<form name="_newscontent_fromname"><div class="v_news_content" id="vsb_content">',
                       "</div></form>")
        pager = ('<div class="pb"><span>共3页</span><a href="nb/2.htm" class="Next">下页</a>'
                 '<a href="nb/1.htm" class="Next">尾页</a></div><script src="/system/resource/js/base64.js"></script>')
        self.add("/vsb/nb.htm", _list_page([("info/1011/2003.htm", f"{agency}2024年政府信息公开工作年度报告")], pager))
        self.add("/vsb/nb/2.htm", _list_page([
            ("../info/1011/2002.htm", f"{agency}2023年政府信息公开工作年度报告（图片版）"),
            ("../info/1011/2004.htm", f"{agency}2023年政府信息公开工作年度报告（全文版）"),
        ], '<a href="../nb.htm">首页</a><a href="1.htm">下页</a><script src="/system/resource/js/base64.js"></script>'))
        self.add("/vsb/nb/1.htm", _list_page([
            ("../info/1011/2001.htm", f"{agency}2022年政府信息公开工作年度报告"),
            ("../info/1011/1999.htm", f"{agency}2021年政府信息公开工作年度报告"),  # a dead link
        ], '<a href="../nb.htm">首页</a><a href="2.htm">上页</a><script src="/system/resource/js/base64.js"></script>'))
        doc = self._doc(docx_bytes)
        download = ('<ul><li>附件【<a href="/vsb/system/_content/download.jsp?urltype=news.DownloadAttachUrl&owner=1'
                    '&wbfileid=55" target="_blank">' + f"{agency}2024年报.{'doc' if doc else 'docx'}</a>】</li></ul>")
        self.add("/vsb/info/1011/2003.htm", report_page(f"{agency}2024年政府信息公开工作年度报告", agency, 2,
                                                       extra=download, article=vsb_article, carried=(CARRY, None)))
        self.add("/vsb/system/_content/download.jsp", doc or docx_bytes,
                 "application/msword" if doc else "application/octet-stream", needs_referer="/vsb/info/")
        pictures = "".join(f'<p><img src="/vsb/images/table{i}.png" width="800" height="1100"></p>' for i in (1, 2))
        picture_page = docs.html_page(pictures, *vsb_article, title=f"{agency}2023年政府信息公开工作年度报告（图片版）",
                                      agency=agency)
        self.add("/vsb/info/1011/2002.htm", picture_page)
        for i, image in enumerate(docs.page_images_of(huaian, [3, 4], scale=1.5), start=1):
            buffer = io.BytesIO()
            image.save(buffer, format="PNG")
            self.add(f"/vsb/images/table{i}.png", buffer.getvalue(), "image/png")
        self.add("/vsb/info/1011/2004.htm", report_page(f"{agency}2023年政府信息公开工作年度报告（全文版）", agency, 10,
                                                       article=vsb_article, published="2024-01-18",
                                                       carried=(CARRY, None), says=0))
        # 2022 leaves its zero cells blank.
        self.add("/vsb/info/1011/2001.htm", report_page(f"{agency}2022年政府信息公开工作年度报告", agency, 11,
                                                       article=vsb_article, published="2023-01-16", blank_zeros=True))

    def _gkmlpt(self) -> None:
        agency = "示例市交通运输局"
        self.add("/gkmlpt/index", "<html><head><script>window._CONFIG = { SID: '755001', TITLE: '政府信息公开' };"
                 "</script></head><body><div id='app'>gkmlpt</div></body></html>")
        articles = [
            (101, f"{agency}2024年政府信息公开工作年度报告"),
            (102, f"{agency}2024年政务公开工作要点"),
            (103, f"{agency}2023年政府信息公开工作年度报告"),
        ]
        article = ('<div class="article-content">', "</div>")
        # 2023 is published after 31 January; 2024 does not carry over 2023's row 4, and its prose counts
        # ten applications more than its table.
        self.add("/gkmlpt/content/0/103/post_103.html",
                 report_page(articles[2][1], agency, 15, article=article, published="2024-02-26"))
        self.add("/gkmlpt/content/0/101/post_101.html",
                 report_page(articles[0][1], agency, 13, article=article, published="2025-01-22", says=10))
        self.add("/gkmlpt/content/0/102/post_102.html", "<html><body>政务公开工作要点</body></html>")
        pages = {1: articles[:2], 2: articles[2:]}
        for page, chunk in pages.items():
            payload = {"total": len(articles), "page": page, "articles": [
                {"id": n, "title": t, "url": f"http://{{host}}/gkmlpt/content/0/{n}/post_{n}.html",
                 "create_time": 1737331200} for n, t in chunk]}
            self.add(f"/gkmlpt/api/all/2847?page={page}&sid=755001", json.dumps(payload, ensure_ascii=False),
                     "application/json; charset=utf-8")

    def _generic(self, huaian: bytes) -> None:
        agency = "示例镇人民政府"
        self.add("/generic/list.html", _list_page([
            ("files/nb2024.pdf", f"{agency}2024年政府信息公开工作年度报告（PDF）"),
            ("2023/report.html", f"{agency}2023年政府信息公开工作年度报告"),
        ], '<div><a href="list_2.html">下一页</a></div>'))
        self.add("/generic/list_2.html", _list_page([
            ("2024/budget.html", f"{agency}2024年预算公开"),
            ("2022/report.html", f"{agency}2022年政府信息公开工作年度报告"),
            ("/private/2021/report.html", f"{agency}2021年政府信息公开工作年度报告"),  # robots.txt disallows
        ], '<div><a href="list_3.html">下一页</a></div>'))
        self.add("/private/2021/report.html", report_page(f"{agency}2021年政府信息公开工作年度报告", agency, 7))
        self.add("/generic/list_3.html", _list_page([
            ("2022/report.html", f"{agency}2022年政府信息公开工作年度报告"),
        ], '<div><a href="list_4.html">下一页</a></div>'))  # adds nothing new: paging stops here
        self.add("/generic/files/nb2024.pdf", huaian, "application/pdf")
        # 2023 does not carry over 2022's row 4 (until it is corrected: edit_a_published_report).
        self.add("/generic/2023/report.html", self._generic_2023())
        # Its text quotes markup (a portal's editor pasted it as text): the site must show it, never run it.
        hostile = ('<p>&lt;script&gt;window.pwned=1&lt;/script&gt;&lt;img src=x onerror="window.pwned=2"&gt;</p>')
        self.add("/generic/2022/report.html", report_page(f"{agency}2022年政府信息公开工作年度报告", agency, 6,
                                                          extra=hostile, article=("<div><div>", "</div></div>"),
                                                          published="2023-01-10"))
        self.add("/generic/2024/budget.html", "<html><body>预算公开</body></html>")

    # --- columns real portals build in ways the ones above do not ------------------------------------
    # Each list page carries a menu full of report words (政府信息公开年报, 政府工作报告, …) outside its list:
    # the crawler must take report candidates from the list only, and never request these (`MENU`).

    MENU = [("/menu/nb.html", "政府信息公开年报"), ("/menu/gzbg.html", "政府工作报告"), ("/menu/zdly.html", "重点领域信息公开"),
            ("/menu/sq.html", "政府信息公开申请"), ("/menu/nbgz.html", "政府信息公开年报工作"),
            ("/menu/gz.html", "2024年政府工作报告全文")]

    def _dated_list(self, links: list[tuple[str, str, str]], extra: str = "", head: str = "") -> str:
        menu = "".join(f'<li><a href="{href}">{title}</a></li>' for href, title in self.MENU)
        items = "".join(f'<li><a href="{href}" target="_blank">{html.escape(title)}</a><span>{date}</span></li>'
                        for href, title, date in links)
        return (f'<html><head><meta charset="utf-8"><title>政府信息公开年报</title>{head}</head><body>'
                f'<div class="header"><ul class="menu">{menu}</ul></div>'
                f'<div class="list_con"><ul id="list">{items}</ul>{extra}</div>'
                f'<div class="footer"><a href="/menu/gzbg.html">政府工作报告</a></div></body></html>')

    def _countpage(self) -> None:
        """TRS WCM's other pager: `var countPage` and links written by document.write, no createPageHTML."""
        agency = "示例市统计局"
        pager = ('<script>var countPage = 2//共多少页\nvar currentPage = {current}//当前页\n'
                 'var prevPage = currentPage - 1\nvar nextPage = currentPage + 1\n'
                 'if (nextPage < countPage) document.write("<a href=\\"index_" + nextPage + ".html\\">下一页</a>");'
                 '</script>')
        self.add("/countpage/nb/index.html", self._dated_list(
            [("./202501/t20250115_2001.html", f"{agency}2024年政府信息公开工作年度报告", "2025-01-15")],
            pager.format(current=0)))
        self.add("/countpage/nb/index_1.html", self._dated_list(
            [("./202401/t20240116_2000.html", f"{agency}2023年政府信息公开工作年度报告", "2024-01-16")],
            pager.format(current=1)))
        # 2024 carries over 2023's row 4: these columns fail no check (they show crawling, not reporting).
        for path, year, unit, published, carried in (
                ("202501/t20250115_2001.html", 2024, 4, "2025-01-15", (CARRY, None)),
                ("202401/t20240116_2000.html", 2023, 9, "2024-01-16", (None, CARRY))):
            self.add(f"/countpage/nb/{path}", report_page(f"{agency}{year}年政府信息公开工作年度报告", agency, unit,
                                                          published=published, carried=carried))
        for href, title in self.MENU:
            self.add(href, f"<html><body><h1>{title}</h1></body></html>")

    def _script(self) -> None:
        """A list whose second page exists only in the browser: the page shows two items and states 共4条; its
        下一页 is a script that loads the rest from a `.trsapi`-like JSON endpoint (TRS 「动静结合」)."""
        agency = "示例市审计局"
        reports = [(f"./{y + 1}01/t{y + 1}0120_30{y % 100}.html", f"{agency}{y}年政府信息公开工作年度报告",
                    f"{y + 1}-01-20") for y in (2024, 2023, 2022, 2021)]
        script = ('<div class="pager"><span>共4条</span> <a href="javascript:void(0)" id="next" onclick="nbNext()">'
                  '下一页</a></div><script>var page = 1;'
                  'function nbNext() { if (page >= 2) return; page += 1;'
                  ' fetch("/script/nb/list.trsapi?page=" + page).then(function (r) { return r.json(); })'
                  '.then(function (d) { document.getElementById("list").innerHTML = d.items.map(function (i) {'
                  ' return "<li><a href=\\"" + i.url + "\\">" + i.title + "</a><span>" + i.date + "</span></li>";'
                  ' }).join(""); if (page >= d.pages) document.getElementById("next").className = "disabled"; }); }'
                  '</script>')
        self.add("/script/nb/index.html", self._dated_list(reports[:2], script))
        items = [{"url": f"/script/nb/{href[2:]}", "title": title, "date": date} for href, title, date in reports[2:]]
        self.add("/script/nb/list.trsapi?page=2", json.dumps({"pages": 2, "items": items}, ensure_ascii=False),
                 "application/json; charset=utf-8")
        for n, (href, title, date) in enumerate(reports):  # 2021 → 2024, each carrying over the year before's
            carried = (None if n == 3 else CARRY, None if n == 0 else CARRY)
            self.add(f"/script/nb/{href[2:]}", report_page(title, agency, 12 + n, published=date, carried=carried))

    def _mixed(self, docx_bytes: bytes) -> None:
        """A plain list whose report page is a VSB article with a download.jsp attachment that answers only with
        the page as Referer: the attachment rule is the detail page's CMS, not the list's."""
        agency = "示例市民政局"
        title = f"{agency}2024年政府信息公开工作年度报告"
        self.add("/mixed/nb/list.html", self._dated_list([("../info/1088/5001.htm", title, "2025-01-21")]))
        download = ('<ul><li>附件【<a href="/mixed/system/_content/download.jsp?urltype=news.DownloadAttachUrl&owner=9'
                    f'&wbfileid=91" target="_blank">{agency}2024年报.docx</a>】</li></ul>'
                    '<script src="/system/resource/js/base64.js"></script>')
        # The page and its DOCX give the same numbers (the DOCX is sample_report(2, CARRY)).
        self.add("/mixed/info/1088/5001.htm", report_page(title, agency, 2, extra=download, published="2025-01-21",
                                                          carried=(CARRY, None),
                                                          article=('<div class="v_news_content">', "</div>")))
        self.add("/mixed/system/_content/download.jsp", docx_bytes, "application/octet-stream",
                 needs_referer="/mixed/info/")

    def _generic_2023(self, corrected: bool = False) -> str:
        agency = "示例镇人民政府"
        note = "<p>本报告发布后，对上年结转数据进行了更正。</p>" if corrected else ""
        return report_page(f"{agency}2023年政府信息公开工作年度报告", agency, 5, article=("<div><div>", "</div></div>"),
                           published="2024-01-12", carried=(CARRY if corrected else None, HUAIAN_CARRY),
                           overview=note)

    def edit_a_published_report(self) -> None:
        """The 示例镇 2023 report corrected on the portal after publication (its row 2 now carries over
        2022's row 4, and a sentence says so): the next crawl keeps it as version 2."""
        self.replace("/generic/2023/report.html", self._generic_2023(corrected=True).encode("utf-8"))

    # --- serving ---------------------------------------------------------------------------------

    def start(self) -> "DemoPortal":
        portal = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args):
                pass

            def do_GET(self):
                portal.serve(self, "GET", b"")

            def do_HEAD(self):
                portal.serve(self, "HEAD", b"")

            def do_POST(self):
                length = int(self.headers.get("Content-Length") or 0)
                portal.serve(self, "POST", self.rfile.read(length))

        class Server(ThreadingHTTPServer):
            def handle_error(self, request, client_address):
                pass  # a client killed mid-request (the resume test does that) is not the portal's error

        self.server = Server((self.host, self.requested_port), Handler)
        self.server.daemon_threads = True
        self.port = self.server.server_address[1]
        self.base_url = f"http://{self.host}:{self.port}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()
        return self

    def start_legacy_tls(self) -> str:
        """The same portal over HTTPS that speaks only TLS 1.0 (as old government servers still do), with a
        self-signed certificate; returns its base URL."""
        import ssl
        import warnings

        cert, key = self._self_signed()
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.set_ciphers("DEFAULT:@SECLEVEL=0")
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", DeprecationWarning)
            context.minimum_version = context.maximum_version = ssl.TLSVersion.TLSv1
        context.load_cert_chain(cert, key)
        self.tls_server = type(self.server)((self.host, 0), self.server.RequestHandlerClass)
        self.tls_server.socket = context.wrap_socket(self.tls_server.socket, server_side=True)
        self.tls_server.daemon_threads = True
        threading.Thread(target=self.tls_server.serve_forever, daemon=True).start()
        return f"https://{self.host}:{self.tls_server.server_address[1]}"

    def _self_signed(self) -> tuple[Path, Path]:
        from datetime import datetime, timedelta, timezone

        from cryptography import x509
        from cryptography.hazmat.primitives import hashes, serialization
        from cryptography.hazmat.primitives.asymmetric import rsa
        from cryptography.x509.oid import NameOID

        key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, self.host)])
        now = datetime.now(timezone.utc)
        cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
                .serial_number(x509.random_serial_number()).not_valid_before(now - timedelta(days=1))
                .not_valid_after(now + timedelta(days=30)).sign(key, hashes.SHA256()))
        cert_path, key_path = self.folder / "legacy.crt", self.folder / "legacy.key"
        cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
        key_path.write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.TraditionalOpenSSL,
                                               serialization.NoEncryption()))
        return cert_path, key_path

    def stop(self) -> None:
        for server in (self.server, getattr(self, "tls_server", None)):
            if server is not None:
                server.shutdown()
                server.server_close()

    def _send(self, handler, status: int, body: bytes, headers: dict, method: str) -> None:
        handler.send_response(status)
        for key, value in headers.items():
            handler.send_header(key, value)
        handler.send_header("Content-Length", str(len(body)))
        handler.end_headers()
        if method != "HEAD":
            handler.wfile.write(body)
        with self.lock:
            self.hits.append((method, handler.path, status))
            self.user_agents.add(handler.headers.get("User-Agent", ""))

    def serve(self, handler, method: str, form: bytes) -> None:
        with self.lock:
            self.arrivals.append((time.monotonic(), handler.path))
        if self.latency:
            time.sleep(self.latency)
        parsed = urlparse(handler.path)
        if parsed.path == "/module/web/jpage/dataproxy.jsp" and method == "POST":
            query = parse_qs(parsed.query)
            return self._send(handler, 200, self._hanweb_proxy(query), {"Content-Type": "text/xml; charset=utf-8"},
                              method)
        key = handler.path if handler.path in self.routes else parsed.path
        resource = self.routes.get(key)
        if resource is None:
            return self._send(handler, 404, b"<html><body>404 Not Found</body></html>",
                              {"Content-Type": "text/html"}, method)
        extra = dict(resource.options or {})
        if extra.get("stall"):
            time.sleep(extra["stall"])
        if extra.get("fail_once") and key not in self.failed_once:
            self.failed_once.add(key)
            return self._send(handler, 500, b"Internal Server Error", {"Content-Type": "text/plain"}, method)
        referer_prefix = extra.get("needs_referer")
        if referer_prefix and referer_prefix not in (handler.headers.get("Referer") or ""):
            return self._send(handler, 403, b"Forbidden: no referer", {"Content-Type": "text/plain"}, method)
        body = resource.body.replace(b"http://{host}", self.base_url.encode())
        etag = '"' + hashlib.sha256(body).hexdigest()[:20] + '"'
        headers = {"Content-Type": resource.content_type, "ETag": etag, "Last-Modified": LAST_MODIFIED}
        if "set_cookie" in extra:
            headers["Set-Cookie"] = extra["set_cookie"]
        if "location" in extra:
            headers["Location"] = self.base_url + extra["location"]
        if key.endswith("downfile.jsp"):
            name = parse_qs(parsed.query).get("showname", ["file"])[0]
            headers["Content-Disposition"] = f"attachment; filename*=UTF-8''{quote(name)}"
        status = int(extra.get("status", 200))
        if status == 200 and handler.headers.get("If-None-Match") == etag:
            return self._send(handler, 304, b"", {"ETag": etag, "Last-Modified": LAST_MODIFIED}, method)
        self._send(handler, status, body, headers, method)

    # --- the registry a crawl of this portal uses ------------------------------------------------

    def sites(self) -> list[dict]:
        out = []
        for site in self.SITES:
            entry = {"name": site["name"], "agency": site["agency"], "region": site["region"],
                     "start_urls": [self.base_url + site["path"]], "delay": 0}
            if site["cms"]:
                entry["cms"] = site["cms"]
            out.append(entry)
        return out

    def write_sites(self, path: str | Path) -> Path:
        path = Path(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(yaml.safe_dump(self.sites(), allow_unicode=True, sort_keys=False), encoding="utf-8")
        return path
