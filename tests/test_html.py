"""HTML reader: the article among the chrome of each CMS dialect, decoding, grids, metadata block."""
import pytest

from extract import extract_report
from extract.encoding import decode
from extract.readers.html import read_html
from tests.generate import AGENCY, TITLE, html_page, html_tables, sample_report

REPORT = sample_report()
MARKERS = {
    "TRS_Editor": ('<div class="TRS_Editor">', "</div>"),
    "zoom": ('<div id="zoom">', "</div>"),
    "ZJEG_RSS": ('<div class="main"><!--ZJEG_RSS.content.begin--><meta name="ContentStart">',
                 "<meta name=\"ContentEnd\"><!--ZJEG_RSS.content.end--></div>"),
    "VSB": ('<form name="_newscontent_fromname"><div class="v_news_content" id="vsb_content">', "</div></form>"),
    "UCAP": ('<div id="UCAP-CONTENT">', "</div>"),
    "no marker": ("<div><div>", "</div></div>"),
}


@pytest.mark.parametrize("dialect", list(MARKERS))
def test_article_found_among_page_chrome(dialect):
    opening, closing = MARKERS[dialect]
    page = html_page(html_tables(REPORT), opening, closing).encode("utf-8")
    report = extract_report(f"http://portal.example/{dialect}.html", page)
    assert report["text"].startswith("一、总体情况"), report["text"][:80]
    assert "首页" not in report["text"] and "版权所有" not in report["text"]
    assert "索引号" not in report["text"]
    assert report["applications"] == REPORT["applications"]
    assert report["title"] == TITLE
    assert report["published"] == "2024-01-26"


def test_metadata_block_inside_the_article_is_not_body():
    info = (f"<p>索引号：11350000-2024-00012</p><p>发布机构：{AGENCY}</p><p>发布日期：2024-01-26</p>")
    page = html_page(info + html_tables(REPORT))
    parsed = read_html(page.encode("utf-8"))
    assert "索引号" not in parsed.text and "发布机构" not in parsed.text
    assert parsed.published == "2024-01-26"
    assert parsed.agency == AGENCY


def test_nested_layout_table_and_spans():
    page = ("<html><body><table><tr><td>导航</td><td><div class='TRS_Editor'><p>二、主动公开政府信息情况</p>"
            "<table><tr><td colspan='4'>第二十条第（一）项</td></tr><tr><td>信息内容</td><td>本年制发件数</td>"
            "<td>本年废止件数</td><td>现行有效件数</td></tr><tr><td>规章</td><td>1</td><td>0</td><td>5</td></tr>"
            "<tr><td rowspan='2'>行政规范性文件</td><td>2</td><td>3</td><td>4</td></tr></table></div></td></tr>"
            "</table></body></html>")
    parsed = read_html(page.encode("utf-8"))
    grid = parsed.tables[0].rows
    assert [(c.text, c.x0, c.x1) for c in grid[0]] == [("第二十条第（一）项", 0, 4)]
    assert [(c.text, c.x0) for c in grid[3]] == [("行政规范性文件", 0), ("2", 1), ("3", 2), ("4", 3)]


@pytest.mark.parametrize("encoding", ["gbk", "gb18030", "utf-8", "big5"])
def test_decode_without_declaration(encoding):
    text = "平潭综合实验区政府信息公开工作年度报告，本年新收政府信息公开申请数量" * 3
    if encoding == "big5":
        text = "香港特別行政區政府資訊公開工作年度報告，本年新收政府資訊公開申請數量" * 3
    data = f"<html><body><p>{text}</p></body></html>".encode(encoding)
    assert text in decode(data)[0]


def test_decode_order():
    gbk = "<html><head><meta charset='gb2312'></head><body>政府信息公开</body></html>".encode("gbk")
    assert decode(gbk)[1] == "gb18030"
    assert decode(gbk, "text/html; charset=GBK")[1] == "gb18030"
    utf8_declared_gbk = "<meta charset='gbk'>政府信息公开".encode("utf-8")
    assert decode(utf8_declared_gbk)[0].endswith("政府信息公开")
    assert decode(b"\xef\xbb\xbf" + "年报".encode("utf-8"))[0] == "年报"


def test_pictures_are_bounded(tmp_path):
    """A page full of pictures reads at most MAX_PICTURES of them, and says so."""
    from extract.readers import html as reader

    body = "".join(f'<p><img src="missing{i}.png" width="800" height="600"></p>' for i in range(30))
    page = tmp_path / "gallery.html"
    page.write_text(html_page(body), encoding="utf-8")
    parsed = reader.read_html(page.read_bytes(), str(page))
    assert any(f"only the first {reader.MAX_PICTURES} were read" in w for w in parsed.warnings)
    assert len([w for w in parsed.warnings if "could not be fetched" in w]) == reader.MAX_PICTURES
    assert len(parsed.images) == reader.MAX_PICTURES


def test_class_markers_are_whole_class_names():
    from extract.readers.html import read_html_outline

    page = ('<html><body><div class="TRS_EditorX">' + "政府信息公开" * 20 + '</div><div class="main TRS_Editor">'
            + "年度报告内容" * 20 + "</div></body></html>")
    assert read_html_outline(page).text.startswith("年度报告内容")
