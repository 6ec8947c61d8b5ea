"""Issue 3 acceptance 4: every dialect's discovery and every attachment form, on saved fixture bytes
(raw: the GBK ones stay GBK, decoded here as the spider decodes them)."""
from pathlib import Path

from crawler.antibot import wall
from cms import detect, generic, gkmlpt, hanweb, trs, vsb
from crawler.spider import _file_name
from crawler.titles import classify_title
from extract.encoding import decode
from tests.conftest import PINGTAN

FIXTURES = Path(__file__).parent / "fixtures" / "crawler"


def page(name: str) -> str:
    return decode((FIXTURES / name).read_bytes())[0]


def test_trs_index_pages_from_create_page_html():
    url = "http://www.example.gov.cn/zwgk/zfxxgknb/index.html"
    text = page("trs_index.html")
    assert detect(text, url) == "trs"
    listing = trs.parse_list(text, url)
    assert [f.url for f in listing.follow] == [f"http://www.example.gov.cn/zwgk/zfxxgknb/index_{n}.html" for n in range(1, 5)]
    assert [i.url.rsplit("/", 1)[-1] for i in listing.items] == ["t20250121_4567891.html", "t20240119_4401234.html",
                                                                 "t20231201_4300001.html"]
    assert listing.items[0].title == "某某市卫生健康委员会2024年政府信息公开工作年度报告"
    assert listing.items[0].date == "2025-01-21"


def test_trs_page_div_form():
    url = "http://www.example.gov.cn/zwgk/zfxxgknb/list.shtml"
    listing = trs.parse_list(page("trs_list.shtml"), url)
    assert [f.url for f in listing.follow] == ["http://www.example.gov.cn/zwgk/zfxxgknb/list_1.shtml",
                                               "http://www.example.gov.cn/zwgk/zfxxgknb/list_2.shtml"]
    assert listing.items[0].url == "http://www.example.gov.cn/zwgk/zfxxgknb/202403/t20240320_11.shtml"


def test_trs_attachments_as_links_and_script_arrays():
    url = "http://www.example.gov.cn/zwgk/zfxxgknb/202501/t20250121_4567891.html"
    found = {a.url.rsplit("/", 1)[-1]: a.title for a in trs.attachments(page("trs_detail.html"), url)}
    assert found == {
        "P020250121561234567890.pdf": "某某市卫生健康委员会2024年政府信息公开工作年度报告.pdf",
        "W020250121561234567891.docx": "附件2：统计表.docx",
        "P020250121561234567892.xls": "附件3.xls",
    }


def test_hanweb_datastore_and_dataproxy_paging():
    url = "http://www.example.gov.cn/col/col26447/index.html"
    text = page("hanweb_column.html")
    assert detect(text, url) == "hanweb"
    listing = hanweb.parse_list(text, url)
    assert [i.title for i in listing.items] == ["某某县人民政府2024年政府信息公开工作年度报告",
                                                "某某县人民政府2023年政府信息公开工作年度报告"]
    assert len(listing.follow) == 1
    follow = listing.follow[0]
    assert follow.method == "POST"
    assert follow.url == ("http://www.example.gov.cn/module/web/jpage/dataproxy.jsp"
                          "?startrecord=3&endrecord=7&perpage=2")
    assert follow.form["columnid"] == "26447" and follow.form["unitid"] == "4465478"
    more = hanweb.parse_proxy(page("hanweb_proxy.xml"), follow.url)
    assert [i.url for i in more.items] == ["http://www.example.gov.cn/art/2023/1/18/art_26447_2501.html",
                                           "http://www.example.gov.cn/art/2022/1/18/art_26447_2101.html"]


def test_hanweb_downfile_real_name_from_showname():
    url = "http://www.example.gov.cn/art/2025/1/20/art_26447_3301.html"
    found = hanweb.attachments(page("hanweb_detail.html"), url)
    assert [(a.title, "downfile.jsp" in a.url) for a in found] == [("某某县2024年报.pdf", True)]


def test_vsb_count_down_pages_from_the_first_and_a_numbered_page():
    first = "http://www.example.edu.cn/xxgk/nb.htm"
    text = page("vsb_list.htm")
    assert detect(text, first) == "vsb"
    assert [f.url.rsplit("/", 2)[-2:] for f in vsb.parse_list(text, first).follow] == [
        ["nb", f"{n}.htm"] for n in range(5, 0, -1)]
    numbered = "http://www.example.edu.cn/xxgk/nb/3.htm"
    listing = vsb.parse_list(page("vsb_page.htm"), numbered)
    assert {f.url for f in listing.follow} >= {"http://www.example.edu.cn/xxgk/nb/4.htm",
                                               "http://www.example.edu.cn/xxgk/nb/1.htm"}
    assert listing.items[0].url == "http://www.example.edu.cn/xxgk/info/1075/5511.htm"


def test_vsb_download_link_and_name():
    url = "http://www.example.edu.cn/xxgk/info/1075/8812.htm"
    found = vsb.attachments(page("vsb_detail.htm"), url)
    assert len(found) == 1
    assert found[0].url == ("http://www.example.edu.cn/system/_content/download.jsp?urltype=news.DownloadAttachUrl"
                            "&owner=1432876594&wbfileid=8811223")
    assert found[0].title == "某某区教育局2024年政府信息公开工作年度报告.docx"


def test_gkmlpt_shell_then_json_api_pages():
    url = "http://www.example.gov.cn/gkmlpt/index#2847"
    shell = gkmlpt.parse_list(page("gkmlpt_index.html"), url)
    assert [f.url for f in shell.follow] == ["http://www.example.gov.cn/gkmlpt/api/all/2847?page=1&sid=755001"]
    api = gkmlpt.parse_list(page("gkmlpt_api.json"), shell.follow[0].url)
    assert len(api.items) == 20
    assert api.items[0].url == "http://www.example.gov.cn/gkmlpt/content/9/9000000/post_9000000.html"
    assert api.items[0].date == "2025-01-20"
    assert [f.url for f in api.follow] == [f"http://www.example.gov.cn/gkmlpt/api/all/2847?page={n}&sid=755001"
                                           for n in (2, 3)]


def test_generic_links_next_page_and_direct_files():
    url = "http://town.example.gov.cn/zwgk/nb/list.html?page=2"
    listing = generic.parse_list(page("generic_list.html"), url)
    assert [i.title for i in listing.items] == ["某某镇2024年政府信息公开工作年度报告", "某某镇2023年度信息公开年报（PDF）"]
    assert [f.url for f in listing.follow] == ["http://town.example.gov.cn/zwgk/nb/list.html?page=3"]
    assert listing.items[1].url.endswith("/files/nb2023.pdf")


def test_real_pingtan_column_page():
    url = "https://www.pingtan.gov.cn/zwgk/zfxxgk/zfxxgknb/"
    text = decode((PINGTAN / "_lists" / "index.html").read_bytes())[0]
    listing = generic.parse_list(text, url)
    reports = [i for i in listing.items if classify_title(i.title) == "report"]
    assert len(reports) == 10
    assert reports[0].url == "https://www.pingtan.gov.cn/zwgk/zfxxgk/zfxxgknb/202603/t20260313_105587.htm"


def test_link_titles_are_classified():
    assert classify_title("平潭综合实验区2024年度政府信息公开工作年度报告") == "report"
    assert classify_title("某某市卫生健康委员会政府信息公开指南") == "not"
    assert classify_title("某某县2024年部门预算") == "not"
    assert classify_title("2024年政务公开工作要点") == "not"
    assert classify_title("某某镇2023年度报告") == "maybe"
    assert classify_title("政府信息公开年报") == "maybe", "the column's own name has no year"


def test_anti_bot_walls():
    assert wall(412, {"set-cookie": "FSSBBIl1UgzbN7N80S=Qc1x; path=/"}, (FIXTURES / "ruishu_412.html").read_bytes()) \
        == "HTTP 412 anti-bot wall (瑞数)"
    assert wall(200, {}, (FIXTURES / "acw_challenge.html").read_bytes()) == "JavaScript challenge page"
    assert wall(200, {}, (FIXTURES / "trs_detail.html").read_bytes()) is None
    assert wall(200, {}, (PINGTAN / "_lists" / "index.html").read_bytes()) is None


def test_attachment_names_from_content_disposition():
    class Response:
        def __init__(self, value):
            self.headers = {"Content-Disposition": value}

    utf8 = "attachment; filename*=UTF-8''%E5%B9%B4%E6%8A%A5.pdf".encode("latin-1")
    assert _file_name(Response(utf8), "x") == "年报.pdf"
    gbk = 'attachment; filename="年报.doc"'.encode("gbk")
    assert _file_name(Response(gbk), "x") == "年报.doc"
    assert _file_name(type("R", (), {"headers": {}})(), "fallback.pdf") == "fallback.pdf"
