"""extract/align.py: printed rows placed in the official sequence as a whole."""
from extract.align import Official, Printed, align, clean_label, label_score
from extract.schema import OTHER_HANDLING, PRINTED_ROWS, ROW_KEYS, ROW_LABELS

OFFICIAL = [Official(code, ROW_KEYS[code], 0.0 if code == "3.6" else 0.25 if code in OTHER_HANDLING else 0.6,
                     -0.05 if code == "3.6" else 0.0, 3 if code == "3.6" else 0) for code in PRINTED_ROWS]


def printed(*labels):
    return [Printed(clean_label(label), has_values) for label, has_values in labels]


def test_clean_label_drops_numbering_and_punctuation():
    assert clean_label("（三）不予公开 1.属于国家秘密") == "不予公开属于国家秘密"
    assert clean_label("3．危及“三安全一稳定”") == "危及三安全一稳定"
    assert clean_label("(六) 其他处理") == "其他处理"


def test_a_misprinted_label_still_names_its_row_best():
    label = clean_label("2.其他法律行政止公开")
    scores = {code: max(label_score(label, k) for k in ROW_KEYS[code]) for code in PRINTED_ROWS}
    assert max(scores, key=scores.get) == "3.3.2"


def test_every_official_row_in_order():
    rows = printed(*[(ROW_LABELS[c], True) for c in PRINTED_ROWS if c != "3.6"])
    placed = align(rows, OFFICIAL)
    assert [c for c, _ in sorted(placed.items(), key=lambda kv: kv[1])] == [c for c in PRINTED_ROWS if c != "3.6"]


def test_a_label_wrapped_above_its_numbers_joins_them():
    rows = printed(("一、本年新收政府信息公开申请数量", True), ("二、上年结转政府信息", False),
                   ("公开申请数量", True), ("（七）总计", True))
    placed = align(rows, OFFICIAL)
    assert placed["2"] == [1, 2] and placed["3.7"] == [3]


def test_a_garbled_label_between_good_neighbours_is_placed_by_them():
    rows = printed(("属于三类内部事务信息", True), ("屈千Ш类过稈忄", True), ("属于行政执法案卷", True))
    placed = align(rows, OFFICIAL)
    assert placed["3.3.6"] == [1]


def test_one_other_handling_row_for_three_and_three_for_one():
    one = align(printed(("5.要求行政机关确认或重新出具已获取信息", True), ("（六）其他处理", True), ("（七）总计", True)),
                OFFICIAL)
    assert one["3.6"] == [1] and not one.keys() & set(OTHER_HANDLING)
    three = align(printed(("（六）其他处理 1.申请人无正当理由逾期不补正、行政机关不再处理其政府信息公开申请", True),
                          ("2.申请人逾期未按收费通知要求缴纳费用、行政机关不再处理其政府信息公开申请", True),
                          ("3.其他", True), ("（七）总计", True)), OFFICIAL)
    assert [three[c] for c in OTHER_HANDLING] == [[0], [1], [2]] and "3.6" not in three


def test_header_rows_without_numbers_are_skipped():
    rows = printed(("申请人情况", False), ("自然人 商业企业 总计", False), ("一、本年新收政府信息公开申请数量", True))
    assert align(rows, OFFICIAL) == {"1": [2]}
