"""Issue 12 §2, §3, §5, §6: the CMS registry, looped over every dialect, and each dialect on real pages saved
from public sources (tests/fixtures/crawler/real/<dialect>/, each with its SOURCE.md)."""
from pathlib import Path

import pytest

import cms
from cms import DIALECTS, attachments, detect, generic, trs
from extract.encoding import decode
from tests.conftest import PINGTAN

REAL = Path(__file__).parent / "fixtures" / "crawler" / "real"


def real(name: str) -> str:
    return decode((REAL / name).read_bytes())[0]


@pytest.mark.parametrize("name", cms.NAMES)
def test_every_dialect_carries_all_its_cms_knowledge(name):
    module = DIALECTS[name]
    for attribute in ("detect", "parse_list", "attachments", "ARTICLE_MARKERS"):
        assert hasattr(module, attribute), f"{name} lacks {attribute}"
    listing = module.parse_list("<html><body></body></html>", "http://x.gov.cn/col/index.html")
    assert isinstance(listing, cms.Listing)
    assert module.attachments("<html></html>", "http://x.gov.cn/a.html") == []
    for marker in module.ARTICLE_MARKERS:
        word, xpath, whole_class = marker
        assert word and xpath.startswith("//") and isinstance(whole_class, bool)


def test_the_html_reader_reads_its_article_markers_from_the_registry():
    from extract.readers import html

    assert [w for w, _ in html._MARKERS] == [w for w, _, _ in cms.ARTICLE_MARKERS]
    assert "v_news_content" in html._CLASS_TOKENS and "TRS_Editor" in html._CLASS_TOKENS


# --- real pages -------------------------------------------------------------------------------------

def test_real_pingtan_column_lists_ten_reports_and_no_menu_entry():
    text = (PINGTAN / "_lists" / "index.html").read_text(encoding="utf-8")
    url = "https://www.pingtan.gov.cn/zwgk/zfxxgk/zfxxgknb/"
    listing = DIALECTS[detect(text, url)].parse_list(text, url)
    assert len(listing.items) == 10
    assert all("年度政府信息公开工作年度报告" in i.title for i in listing.items)
    # Its menu holds 政府信息公开年报, 政府工作报告, 重点领域信息公开 … : none is a candidate.
    assert not [i for i in listing.items if i.title in ("政府信息公开年报", "政府工作报告", "重点领域信息公开")]
    # Its list is TRS 「动静结合」: recordCount 20, ten shown, page 2 built by list2.trsapi.
    assert listing.scripted == "the list states 20 items and shows 10"


def test_real_vsb_column_pages_and_detail_attachments():
    url = "http://www.szyz.net/xwzx/tzgg.htm"
    text = real("vsb/list.html")
    assert detect(text, url) == "vsb"
    assert [f.url for f in DIALECTS["vsb"].parse_list(text, url).follow] == ["http://www.szyz.net/xwzx/tzgg/1.htm"]
    detail_url = "http://rsc.henu.edu.cn/info/1213/3018.htm"
    detail = real("vsb/detail.html")
    assert detect(detail, detail_url) == "vsb"
    files = attachments(detail, detail_url)
    assert [f.url for f in files if "download.jsp" in f.url] and all("wbfileid=" in f.url for f in files)
    assert {f.title.rsplit(".", 1)[-1] for f in files} >= {"docx"}


def test_real_hanweb_article_page_is_known_by_its_own_marks():
    assert detect(real("hanweb/detail.html"), "http://fgw.zj.gov.cn/art/2016/11/22/art_1621004_30332664.html") == "hanweb"


def test_real_generic_columns_follow_their_next_page():
    listing = generic.parse_list(real("generic/list.html"), "http://www.hr-fund.com.cn/news/information_2.html")
    assert [f.url for f in listing.follow] == ["http://www.hr-fund.com.cn/news/information_3.html"]
    listing = generic.parse_list(real("generic/list-2.html"), "http://www.dfa66.com/gsgg/index.html")
    assert [f.url for f in listing.follow] == ["http://www.dfa66.com/gsgg/index2.html"]


# --- behaviours on small pages -------------------------------------------------------------------------

def test_count_page_pager_written_by_document_write():
    text = ('<script>var countPage = 3//共多少页\nvar currentPage = 0//当前页\n'
            'document.write("<a href=\\"index_" + nextPage + ".shtml\\">下一页</a>");</script>')
    assert detect(text, "http://x.gov.cn/nb/index.shtml") == "trs"
    assert [f.url for f in trs.pages(text, "http://x.gov.cn/nb/index.shtml")] == [
        "http://x.gov.cn/nb/index_1.shtml", "http://x.gov.cn/nb/index_2.shtml"]


def test_menu_and_footer_links_are_not_report_candidates():
    from demo.portal import DemoPortal

    portal = DemoPortal.__new__(DemoPortal)  # only its page builder
    text = DemoPortal._dated_list(portal, [("./a.html", "示例市统计局2024年政府信息公开工作年度报告", "2025-01-15")])
    items = generic.parse_list(text, "http://x.gov.cn/nb/list.html").items
    assert [i.title for i in items] == ["示例市统计局2024年政府信息公开工作年度报告"]
    undated = text.replace("<span>2025-01-15</span>", "")
    assert [i.title for i in generic.parse_list(undated, "http://x.gov.cn/nb/list.html").items] == [
        "示例市统计局2024年政府信息公开工作年度报告"], "without dates: everything outside menus, header and footer"


def test_a_stated_total_larger_than_the_items_shown_is_a_script_built_list():
    text = ('<ul><li><a href="a.html">某局2024年政府信息公开工作年度报告</a><span>2025-01-20</span></li></ul>'
            '<div>共 3 条</div><a href="javascript:nextPage()">下一页</a>')
    assert generic.parse_list(text, "http://x.gov.cn/").scripted == "the list states 3 items and shows 1"
    paged = text.replace("javascript:nextPage()", "list_2.html")
    assert generic.parse_list(paged, "http://x.gov.cn/").scripted is None, "a pager to follow: no browser needed"


def test_attachments_by_every_rule_whatever_the_list_was():
    page = ('<a href="/system/_content/download.jsp?urltype=news.DownloadAttachUrl&owner=1&wbfileid=7">年报.pdf</a>'
            '<a href="/module/download/downfile.jsp?classid=0&filename=1.docx&showname=%E5%B9%B4%E6%8A%A5.docx">下载</a>'
            '<a href="./P020250120.pdf">附件</a>'
            "<script>var apps1 = ['<a href=\\\"./W020250120.xls\\\">统计表.xls</a>'];</script>")
    found = {link.url.rsplit("/", 1)[-1]: link.title for link in attachments(page, "http://x.gov.cn/nb/t1.html")}
    assert found["download.jsp?urltype=news.DownloadAttachUrl&owner=1&wbfileid=7"] == "年报.pdf"
    assert found["downfile.jsp?classid=0&filename=1.docx&showname=%E5%B9%B4%E6%8A%A5.docx"] == "年报.docx"
    assert found["P020250120.pdf"] == "附件.pdf" and found["W020250120.xls"] == "统计表.xls"


def test_a_pager_object_and_a_dynamic_part_beyond_the_static_pages():
    """TRS 「动静结合」: `new Pager({...})` names the pages, `maxStaticIndex` says how many are static files;
    a `recordCount` beyond what they hold (`prepage` each) is the script-built rest, read in a browser."""
    items = "".join(f'<li><a href="./202501/t20250120_{n}.html">某局{2024 - n}年政府信息公开工作年度报告</a>'
                    f'<span>2025-01-20</span></li>' for n in range(10))
    text = (f"<ul>{items}</ul><script>new Pager({{size: 4, current: 0, prefix: 'index', suffix: 'shtml'}});"
            "var pageConfig = {recordCount: '37', maxStaticIndex: 1, prepage: 10,"
            " dynamicUrl: '/common/list2.trsapi'};</script>")
    url = "http://x.gov.cn/zfxxgk/nb/index.shtml"
    assert detect(text, url) == "trs"
    listing = trs.parse_list(text, url)
    assert [f.url for f in listing.follow] == ["http://x.gov.cn/zfxxgk/nb/index_1.shtml"], "static pages only"
    assert listing.scripted == ("the list states 37 items and its static pages hold 20; the rest is built by "
                                "script (TRS 动静结合)")
    whole = text.replace("recordCount: '37'", "recordCount: '20'")
    assert trs.parse_list(whole, url).scripted is None, "every item on the static pages: no browser"
    plain = text.replace("maxStaticIndex: 1, ", "").replace("recordCount: '37', ", "")
    assert [f.url for f in trs.parse_list(plain, url).follow] == [
        f"http://x.gov.cn/zfxxgk/nb/index_{n}.shtml" for n in (1, 2, 3)]
