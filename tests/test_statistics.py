"""The table reader on rows written the ways real reports write them."""
from extract.model import Cell, Table
from extract.numbers import EMPTY, NUMBER, TEXT, UNREADABLE, classify, parse_number
from extract.schema import APPLICANTS
from extract.statistics import read_statistics

SEVEN = ["1", "2", "3", "4", "5", "6", "21"]


def rows(*lines, positions=False):
    """Tab-separated lines → a table; with positions, cells get their index as grid column."""
    out = []
    for line in lines:
        cells = line.split("\t")
        out.append([Cell(c, i, i + 1) if positions else Cell(c) for i, c in enumerate(cells)])
    return Table(out)


def applications_table(label_of_31="（一）予以公开", extra=(), positions=False, row_31=None):
    values = "\t".join(SEVEN)
    lines = [
        "（本列数据的勾稽关系为：第一项加第二项之和，等于第三项加第四项之和）\t\t申请人情况",
        f"一、本年新收政府信息公开申请数量\t\t{values}",
        f"二、上年结转政府信息公开申请数量\t\t{values}",
        row_31 or f"三、本年度办理结果\t{label_of_31}\t{values}",
        *extra,
        f"（七）总计\t\t{values}",
        f"四、结转下年度继续办理\t\t{values}",
    ]
    return rows(*lines, positions=positions)


def test_numbers():
    assert parse_number("１２３") == 123
    assert parse_number("3,119") == 3119
    assert parse_number("96171.6") == 96171.6
    assert parse_number("-15") == -15 and parse_number("－15") == -15 and parse_number("减15") == -15
    assert parse_number("73802895.90元") == 73802895.9
    assert parse_number("12万元") == 12
    assert [classify(t) for t in ("0", "—", "-", "/", "", "3 4", "规章")] == [NUMBER, EMPTY, EMPTY, EMPTY, EMPTY,
                                                                           UNREADABLE, TEXT]


def test_label_variants_name_the_same_rows():
    extra = [
        "\t(三) 不予公开\t1、属于国家秘密\t" + "\t".join(SEVEN),
        "\t\t2.其他法律法规禁止公开\t" + "\t".join(SEVEN),
        "\t\t3．危及“三安全一稳定”\t" + "\t".join(SEVEN),
        "\t（六）其他处理\t1、申请人无正当理由逾期不补\n正、行政机关不再处理其政府信息公开申请\t" + "\t".join(SEVEN),
        "\t\t3、其他\t" + "\t".join(SEVEN),
    ]
    stats = read_statistics([applications_table(extra=extra)])
    for code in ("1", "2", "3.1", "3.3.1", "3.3.2", "3.3.3", "3.6.1", "3.6.3", "3.7", "4"):
        assert stats.applications[code]["total"] == 21, code
    assert stats.applications["3.2"]["total"] is None


def test_vertical_label_one_character_per_row():
    lines = ["（本列数据的勾稽关系为：第一项加第二项之和，等于第三项加第四项之和）\t申请人情况"]
    lines += [f"{label}\t\t" + "\t".join(SEVEN) for label in ("一、本年新收政府信息公开申请数量", "二、上年结转政府信息公开申请数量")]
    lines += ["三\t（一）予以公开\t" + "\t".join(SEVEN), "本\t（二）部分公开\t" + "\t".join(SEVEN),
              "年\t（三）不\n予公开\t1.属于国家秘密\t" + "\t".join(SEVEN), "度\t（七）总计\t" + "\t".join(SEVEN),
              "四、结转下年度继续办理\t\t" + "\t".join(SEVEN)]
    stats = read_statistics([rows(*lines)])
    assert stats.applications["3.2"]["natural_person"] == 1
    assert stats.applications["3.3.1"]["total"] == 21
    assert stats.applications["3.7"]["total"] == 21


def test_missing_cell_is_null_and_never_shifts_its_neighbours():
    """With grid positions a short row is placed cell by cell (its blank forced by the row's own total);
    without them, when several placements fit the table's sums, it is not placed at all."""
    short = "三、本年度办理结果\t（一）予以公开\t1\t2\t\t4\t5\t6\t21"
    with_positions = read_statistics([applications_table(positions=True, row_31=short)])
    row = with_positions.applications["3.1"]
    assert row == dict(zip(APPLICANTS, [1, 2, 3, 4, 5, 6, 21]))
    listed = [p for kind in ("inferred", "blank", "unreadable") for p in with_positions.cells[kind]]
    assert [p for p in listed if p.startswith("applications.3.1.")] == ["applications.3.1.research_institution"]
    assert "applications.3.1.research_institution" in with_positions.cells["inferred"]
    assert any("3.1 research_institution: inferred 3" in w for w in with_positions.warnings)
    unforced = "三、本年度办理结果\t（一）予以公开\t1\t2\t\t4\t5\t6\t"
    row = read_statistics([applications_table(positions=True, row_31=unforced)]).applications["3.1"]
    assert row == dict(zip(APPLICANTS, [1, 2, None, 4, 5, 6, None]))

    gone = "三、本年度办理结果\t（一）予以公开\t1\t2\t4\t5\t6\t21"
    without_positions = read_statistics([applications_table(row_31=gone)])
    assert set(without_positions.applications["3.1"].values()) == {None}
    assert any("3.1: 6 values for 7 columns, not placed" in w for w in without_positions.warnings)


def test_dash_is_not_zero_unless_the_arithmetic_forces_it():
    zeros = "\t".join(["0"] * 7)
    table = rows(
        "申请人情况\t自然人",
        f"一、本年新收政府信息公开申请数量\t\t{zeros}",
        f"二、上年结转政府信息公开申请数量\t\t{zeros}",
        "三、本年度办理结果\t（一）予以公开\t—\t—\t—\t—\t—\t—\t—",
        f"（七）总计\t\t{'/'}\t{'/'}\t{'/'}\t{'/'}\t{'/'}\t{'/'}\t{'/'}",
        "四、结转下年度继续办理\t\t5\t0\t0\t0\t0\t0\t5",
    )
    stats = read_statistics([table])
    assert stats.applications["3.1"]["natural_person"] is None  # 3.7 is unknown, nothing forces 3.1
    table = rows(
        f"一、本年新收政府信息公开申请数量\t\t{zeros}",
        f"二、上年结转政府信息公开申请数量\t\t{zeros}",
        "三、本年度办理结果\t（一）予以公开\t—\t—\t—\t—\t—\t—\t—",
        f"（七）总计\t\t{zeros}",
        f"四、结转下年度继续办理\t\t{zeros}",
    )
    stats = read_statistics([table])
    assert stats.applications["3.1"] == dict.fromkeys(APPLICANTS, 0)
    assert any("3.1 natural_person: inferred 0 (forced by the table's sums" in w for w in stats.warnings)
    assert "applications.3.1.natural_person" in stats.cells["inferred"]


def test_format_recognised_from_the_table_not_the_year():
    table_2019 = rows(
        "信息内容\t本年新制作数量\t本年新公开数量\t对外公开总数量",
        "规章\t0\t0\t7",
        "规范性文件\t77\t77\t166",
        "信息内容\t上一年项目数量\t本年增/减\t处理决定数量",
        "行政许可\t396\t442\t278",
        "信息内容\t采购项目数量\t采购总金额",
        "政府集中采购\t395\t73802895.90元",
    )
    stats = read_statistics([table_2019])
    assert stats.table_format == "2019"
    assert stats.active_disclosure["regulations"] == {"new_made": 0, "new_published": 0, "total_published": 7}
    assert stats.active_disclosure["procurement"] == {"items": 395, "amount": 73802895.9}
    assert stats.active_disclosure["other_services"] == {"last_year_items": None, "change": None, "decisions": None}


def test_headers_split_over_lines_and_review_row():
    table = rows(
        "行政复议\t\t\t\t\t行政诉讼",
        "结果\n维持\t结果\n纠正\t其他\n结果\t尚未\n审结\t总计\t未经复议直接起诉\t\t\t\t\t复议后起诉",
        "\t\t\t\t\t结果\n维持\t结果\n纠正\t其他\n结果\t尚未\n审结\t总计\t结果\n维持\t结果\n纠正\t其他\n结果\t尚未\n审结\t总计",
        "\t".join(str(v) for v in [1, 0, 2, 0, 3, 12, 0, 0, 0, 12, 0, 0, 0, 0, 0]),
    )
    stats = read_statistics([table])
    assert stats.review_litigation["review"] == {"upheld": 1, "corrected": 0, "other": 2, "pending": 0, "total": 3}
    assert stats.review_litigation["litigation_direct"]["total"] == 12


def test_a_table_split_across_pages_joins_by_row_meaning():
    """The table breaks inside （四）无法提供: the second part has a different column count (its group label
    cell is cut, 「法提供」) and still fits."""
    values = "\t".join(SEVEN)
    first = rows("申请人情况\t自然人", f"一、本年新收政府信息公开申请数量\t\t{values}",
                 f"二、上年结转政府信息公开申请数量\t\t{values}", f"三、本年度办理结果\t（一）予以公开\t{values}",
                 f"（四）无\t1.本机关不掌握相关政府信息\t{values}")
    second = rows(f"法提供\t2.没有现成信息需要另行制作\t{values}", f"3.补正后申请内容仍不明确\t{values}",
                  f"（七）总计\t\t{values}", f"四、结转下年度继续办理\t\t{values}")
    stats = read_statistics([first, second])
    assert stats.applications["3.4.2"]["total"] == 21
    assert stats.applications["3.4.3"]["natural_person"] == 1


def test_prose_naming_review_is_not_the_review_header():
    table = rows(
        "2024年，全市政府信息公开行政复议351件，其中结果维持72件，结果纠正64件，其他结果178件",
        "\t".join(["3"] * 15),
    )
    assert read_statistics([table]).review_litigation is None


def _official_rows(fmt="2021"):
    from extract.schema import ROW_CODES, ROW_LABELS

    return [(ROW_LABELS[c].split(" ")[-1], c) for c in ROW_CODES[fmt]]


def _distinct_values(code_index: int) -> list[int]:
    row = [(code_index * 3 + j) % 5 for j in range(6)]
    return row + [sum(row)]


def test_markdown_pipe_table_from_a_converter():
    from extract.readers.text import read_text

    lines = ["| 本列数据的勾稽关系 | 自然人 | 商业企业 | 科研机构 | 社会公益组织 | 法律服务机构 | 其他 | 总计 |",
             "|---|---|---|---|---|---|---|---|"]
    for i, (label, code) in enumerate(_official_rows()):
        lines.append("| " + " | ".join([label, *map(str, _distinct_values(i))]) + " |")
    stats = read_statistics(read_text("\n".join(lines)).tables)
    index = [code for _, code in _official_rows()].index("3.3.5")
    assert stats.applications["3.3.5"] == dict(zip(APPLICANTS, _distinct_values(index)))
    assert stats.applications["4"]["other_org"] == _distinct_values(len(_official_rows()) - 1)[5]


def test_cells_set_apart_by_runs_of_spaces():
    from extract.readers.text import read_text

    lines = [f"{label}    " + "   ".join(map(str, _distinct_values(i))) for i, (label, _) in enumerate(_official_rows())]
    stats = read_statistics(read_text("\n".join(lines)).tables)
    assert stats.applications["3.4.1"] == dict(zip(APPLICANTS, _distinct_values(12)))


def test_wrapped_and_misprinted_labels_placed_by_their_neighbours():
    """A label wrapped onto its own row above its numbers, and a misprinted one (characters dropped)."""
    values = "\t".join(SEVEN)
    table = rows(
        f"一、本年新收政府信息公开申请数量\t\t{values}",
        f"二、上年结转政府信息公开申请数量\t\t{values}",
        f"三、本年度办理结果\t（一）予以公开\t{values}",
        f"（二）部分公开\t{values}",
        f"（三）不予公开\t1.属于国家秘密\t{values}",
        "2.其他法律行政",
        f"止公开\t{'	'.join(['9'] * 7)}",
        f"3.危及“三安全一稳定”\t{values}",
        f"4.保护第三方合\t{'	'.join(['8'] * 7)}",
        f"（七）总计\t\t{values}",
        f"四、结转下年度继续办理\t\t{values}",
    )
    stats = read_statistics([table])
    assert stats.applications["3.3.2"]["total"] == 9
    assert stats.applications["3.3.3"]["total"] == 21
    assert stats.applications["3.3.4"]["total"] == 8
