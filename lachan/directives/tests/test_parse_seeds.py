"""The five seed letters (../shared/seeds, see its README.md), parsed field by field. Expected values were
read off the seed text by hand."""

from pathlib import Path

import pytest

from lachan.directives.parsing import KEYS, parse_document

SEEDS = Path(__file__).resolve().parents[3].parent / "shared/seeds"
pytestmark = pytest.mark.skipif(not SEEDS.is_dir(), reason=f"seed letters not found in {SEEDS}")

SUBJECT_TET = ("Tăng cường công tác bảo đảm an toàn thông tin mạng hướng tới dịp Tết Dương lịch 2025, "
               "Tết Nguyên đán Ất Tỵ và Lễ kỷ niệm 95 năm thành lập Đảng Cộng sản Việt Nam")
TELECOMS = "Các doanh nghiệp cung cấp dịch vụ viễn thông, internet"
VNCERT = {"organization": "Trung tâm Ứng cứu khẩn cấp không gian mạng Việt Nam (VNCERT/CC)", "person": None,
          "phones": ["02436404421", "0869100317"], "emails": ["ir@vncert.vn"]}
ATHTTT = {"organization": "Phòng An toàn hệ thống thông tin", "person": None, "phones": ["0888133359"],
          "emails": ["athttt@mic.gov.vn"]}
NCSC_NAME = "Trung tâm Giám sát an toàn không gian mạng quốc gia (NCSC)"
HUY = {"organization": "Sở Thông tin và Truyền thông", "person": "Nguyễn Đông Huy", "phones": ["0984462472"],
       "emails": []}


def seed(prefix):
    path = next(SEEDS.glob(f"{prefix}_*.txt"))
    result = parse_document(path)
    assert tuple(result) == KEYS
    return result


def task(result, task_id):
    return next(t for t in result["tasks"] if t["id"] == task_id)


def test_000_hai_phong_department_of_information():
    r = seed("000")
    assert r["doc_type"] == "cong_van"
    assert (r["number"], r["number_blank"]) == ("/STTTT-BCVT", True)
    # the header block is lost: the issuer comes from the appendix ("Kèm theo … của Sở …") / "… đề nghị"
    assert (r["issuer"], r["parent_issuer"]) == ("Sở Thông tin và Truyền thông", None)
    assert (r["place"], r["date"], r["year"]) == ("Hải Phòng", None, 2025)
    assert r["subject"] == ("Tăng cường công tác bảo đảm an toàn thông tin mạng hướng tới dịp Tết Nguyên đán Ất Tỵ "
                            "và Lễ kỷ niệm 95 năm thành lập Đảng Cộng sản Việt Nam")
    assert r["recipients"] == [
        "Các cơ quan Đảng thành phố", "Các cơ quan Trung ương tổ chức theo ngành dọc", "Các Sở, ban, ngành",
        "Các Quận ủy, Huyện ủy, UBND các quận, huyện", "Các đơn vị sự nghiệp thành phố",
        "Các tổ chức chính trị, xã hội, doanh nghiệp"]
    assert r["references"] == [
        {"number": "5644/BTTTT-CATTT", "kind": "Văn bản", "date": "2024-12-29",
         "issuer": "Bộ Thông tin và Truyền thông"},
        {"number": "9742/VP-KSTTHC", "kind": "Văn bản", "date": "2024-12-31",
         "issuer": "Ủy ban nhân dân thành phố"}]
    # a)–d) stand before "2." (no "1." in the text); "2." has b)–d) only; "3." lists contact points
    assert [s["id"] for s in r["sections"]] == ["a", "b", "c", "d", "2", "3"]
    assert [c["id"] for c in r["sections"][4]["children"]] == ["2.b", "2.c", "2.d"]
    assert len(r["sections"][5]["children"]) == 4
    assert [t["id"] for t in r["tasks"]] == ["a", "b", "c", "d", "2.b", "2.c", "2.d"]
    # "Chủ động rà soát, xử lý," / blank line / "triển khai …": re-joined
    assert "Chủ động rà soát, xử lý, triển khai các giải pháp nhằm khắc phục triệt để" in task(r, "b")["text"]
    assert task(r, "b")["text"].endswith("(IRlab.vn) và từ các cơ quan, tổ chức liên quan cùng cấp.")
    assert task(r, "d")["text"].startswith("Rà soát, kiểm tra và bóc gỡ các phần mềm độc hại")
    assert task(r, "a")["audience"] is None
    assert task(r, "2.c")["audience"] == "Các đơn vị doanh nghiệp cung cấp cung cấp dịch vụ Internet, viễn thông"
    assert r["contacts"] == [
        ATHTTT, VNCERT,
        {"organization": NCSC_NAME, "person": None, "phones": ["02432091616", "0336666905"],
         "emails": ["ais@mic.gov.vn"]},
        HUY]
    assert r["signer"] == {"name": "Lê Văn Kiên", "title": "KT. GIÁM ĐỐC / PHÓ GIÁM ĐỐC"}
    assert r["cc"] == ["Như trên", "UBND thành phố (để b/c)", "Tiểu ban An toàn, An ninh mạng (để b/c)",
                       "GD, các PGĐ Sở", "Trung tâm TT&TT", "Lưu: VT, BCVT"]
    groups = r["appendix_units"]
    assert [(g["group"], len(g["units"])) for g in groups] == [
        ("Khối các cơ quan quản lý nhà nước trực thuộc Ủy ban nhân dân thành phố", 26),
        ("Quận ủy, Huyện ủy, Ủy ban nhân dân các quận, huyện", 15),
        ("Khối các cơ quan quản lý nhà nước Trung ương đóng trên địa bàn thành phố", 13),
        ("Khối các cơ quan Đảng thành phố", 7),
        ("Khối các đơn vị sự nghiệp thuộc Ủy ban nhân dân thành phố", 12),
        ("Tổ chức chính trị, xã hội", 9),
        ("Doanh nghiệp nhà nước do Chủ tịch Ủy ban nhân dân thành phố ký Quyết định thành lập", 6)]
    assert sum(len(g["units"]) for g in groups) == 88
    assert groups[0]["units"][:3] == ["Văn phòng Hội đồng nhân dân và Đoàn đại biểu Quốc hội",
                                      "Văn phòng Ủy ban nhân dân thành phố", "Sở Công thương"]
    assert groups[1]["units"][-1] == "Huyện Bạch Long Vĩ"
    assert groups[6]["units"][-1] == "Công ty TNHH MTV Xổ số Hải Phòng"


def test_001_department_of_education_reissues():
    r = seed("001")
    assert (r["doc_type"], r["number"], r["number_blank"]) == ("cong_van", "/SGDDT-VP", True)
    assert (r["issuer"], r["parent_issuer"]) == ("Sở Giáo dục và Đào tạo", None)
    assert (r["place"], r["date"], r["year"]) == ("Hải Phòng", None, 2025)
    assert r["subject"] == ("tăng cường công tác bảo đảm an toàn thông tin mạng hướng tới dịp Tết Nguyên đán Ất Ty "
                            "và Lễ kỷ niệm 95 năm thành lập Đảng Cộng sản Việt Nam")
    assert r["recipients"] == [
        "Trưởng phòng CMNV cơ quan Sở", "Trưởng phòng GDĐT quận, huyện", "Hiệu trưởng trường THPT, PT nhiều cấp",
        "Giám đốc trung tâm GDNN-GDTX quận huyện", "Thủ trưởng các đơn vị trực thuộc"]
    assert r["references"] == [{"number": "03/STTTT-BCVT", "kind": "Văn bản", "date": "2025-01-02",
                                "issuer": "Sở Thông tin và Truyền thông"}]
    # the second "d)" is the Vietnamese "đ)" the extraction lost
    assert [s["id"] for s in r["sections"]] == ["a", "b", "c", "d", "đ"]
    assert len(r["sections"][4]["children"]) == 5
    assert [t["id"] for t in r["tasks"]] == ["a", "b", "c", "d"]
    assert all(t["audience"] is None for t in r["tasks"])
    assert "Nền tảng Điều phối xử lý sự cố an toàn thông tin mạng quốc gia (IRlab.vn)" in task(r, "b")["text"]
    assert task(r, "d")["text"].endswith("Sở GDĐT, Sở Thông tin và Truyền thông cảnh báo hàng tháng hoặc đột xuất.")
    assert r["contacts"] == [
        ATHTTT, VNCERT,
        {"organization": NCSC_NAME, "person": None, "phones": ["02432091616", "0336666905"],
         "emails": ["ais@mic.gov.vn"]},
        HUY,
        {"organization": "Sở GDĐT", "person": "Trần Tiến Chinh", "phones": ["0914463645"], "emails": []}]
    assert r["signer"] == {"name": "Phạm Quốc Hiệu", "title": "KT. GIÁM ĐỐC / PHÓ GIÁM ĐỐC"}
    assert r["cc"] == ["Như trên", "Sở TTTT (để p/h)", "Lưu: VT"]
    assert r["appendix_units"] == []


def test_002_tam_diep_city():
    r = seed("002")
    assert (r["doc_type"], r["number"], r["number_blank"]) == ("cong_van", "/UBND-VHTT", True)
    # "ỦY BAN NHÂN DÂN" / "THÀNH PHỐ TAM ĐIỆP" is one name on two lines, not two levels
    assert (r["issuer"], r["parent_issuer"]) == ("ỦY BAN NHÂN DÂN THÀNH PHỐ TAM ĐIỆP", None)
    assert (r["place"], r["date"], r["year"]) == ("Tam Điệp", None, 2024)
    assert r["subject"] == ("tăng cường công tác bảo đảm an toàn thông tin mạng trong dịp Tết Nguyên đán "
                            "Giáp Thìn 2024")
    assert r["recipients"] == ["Các phòng, ban, ngành, MTTQ, đoàn thể thành phố",
                               "Các cơ quan, đơn vị, doanh nghiệp trên địa bàn thành phố",
                               "Ủy ban nhân dân các phường, xã"]
    assert r["references"] == [{"number": "39/STTTT-CNBCVT", "kind": "Công văn", "date": "2024-01-10",
                                "issuer": "Sở Thông tin và Truyền thông"}]
    assert [s["id"] for s in r["sections"]] == ["1", "2", "3"]  # bold "**1. …:**" headings
    assert [len(s["children"]) for s in r["sections"]] == [5, 3, 2]
    assert [t["id"] for t in r["tasks"]] == ["1.1", "1.2", "1.3", "1.4", "1.5", "2.1", "2.2", "2.3"]
    assert task(r, "1.2")["text"].startswith("Phân công lực lượng tại chỗ triển khai trực giám sát 24/24;")
    assert task(r, "1.2")["audience"] is None
    assert {task(r, i)["audience"] for i in ("2.1", "2.2", "2.3")} == {TELECOMS}
    assert task(r, "2.3")["text"] == ("Thực hiện nghiêm và kịp thời các biện pháp xử lý theo yêu cầu của Sở Thông "
                                      "tin và Truyền thông và cơ quan chức năng có thẩm quyền.")
    assert r["contacts"] == [  # markdown links "[ir@vncert.vn](mailto:…)" read as the address
        VNCERT,
        {"organization": NCSC_NAME, "person": None, "phones": ["02432091616", "0389942878"],
         "emails": ["ais@mic.gov.vn"]}]
    assert r["signer"] == {"name": "Vũ Đình Chiến", "title": "TM. ỦY BAN NHÂN DÂN / KT. CHỦ TỊCH / PHÓ CHỦ TỊCH"}
    assert r["cc"] == ["Như kính gửi", "Lưu: VT, VHTT"]  # the drafter's initials "NDP" are not a recipient


def test_003_ministry():
    r = seed("003")
    assert (r["doc_type"], r["number"], r["number_blank"]) == ("cong_van", "/BTTTT-CATTT", True)
    # number, place and date on one line; no issuer block: "Bộ … đề nghị các cơ quan …"
    assert (r["issuer"], r["parent_issuer"]) == ("Bộ Thông tin và Truyền thông", None)
    assert (r["place"], r["date"], r["year"]) == ("Hà Nội", None, 2024)
    assert r["subject"] == SUBJECT_TET  # six lines, blank lines between them
    assert r["recipients"] == [
        "Các Bộ, cơ quan ngang Bộ, cơ quan thuộc Chính phủ", "UBND các tỉnh, thành phố trực thuộc Trung ương",
        "Các Cơ quan báo chí Trung ương", "Các Tập đoàn kinh tế, Tổng Công ty nhà nước",
        "Các Tập đoàn, Tổng Công ty, Công ty cung cấp dịch vụ Internet, viễn thông",
        "Các Tổ chức tài chính, Ngân hàng thương mại"]
    assert r["references"] == []
    assert [s["id"] for s in r["sections"]] == ["1", "2", "3"]
    assert [len(s["children"]) for s in r["sections"]] == [3, 4, 3]
    assert [t["id"] for t in r["tasks"]] == ["1.a", "1.b", "1.c", "2.a", "2.b", "2.c", "2.d"]
    assert task(r, "1.a")["text"] == (
        "Tập trung công tác giám sát an toàn thông tin mạng, rà soát, xử lý mã độc, bảo đảm an toàn thông tin mạng "
        "24/7; Phân công nhân sự theo dõi thường xuyên, liên tục để đảm bảo phát hiện sớm các nguy cơ tấn công "
        "mạng (đặc biệt là tấn công mã hóa dữ liệu, thay đổi giao diện) để kịp thời xử lý, khắc phục nhanh sự cố "
        "tấn công mạng.")
    # footnote marker "công bố1." removed, the note (printed mid-list) attached to the item
    assert "(Cục An toàn thông tin) công bố. [1] Tại văn bản cảnh báo các lỗ hổng nghiêm trọng" in task(r, "1.b")["text"]
    assert "1 Tại" not in " ".join(c["text"] for c in r["sections"][2]["children"])
    assert task(r, "2.a")["audience"] == (TELECOMS + "; Các tổ chức, doanh nghiệp cung cấp nền tảng chuyển đổi số")
    assert task(r, "1.c")["audience"] is None
    assert r["contacts"] == [
        ATHTTT, VNCERT,
        {"organization": NCSC_NAME, "person": None, "phones": ["02432091616", "0389942878"],
         "emails": ["ais@mic.gov.vn"]}]
    assert r["signer"] == {"name": "Phạm Đức Long", "title": "KT. BỘ TRƯỞNG / THỨ TRƯỞNG"}
    assert len(r["cc"]) == 14
    assert r["cc"][0] == "Như trên"
    assert r["cc"][10] == "Các Sở Thông tin và Truyền thông các tỉnh, thành phố trực thuộc TW"
    assert r["cc"][11] == ("Các đơn vị chuyên trách về công nghệ thông tin, an toàn thông tin tại các bộ, ngành")
    assert r["cc"][-1] == "Lưu: VT, CATTT.PTA"


def test_004_dong_nai():
    r = seed("004")
    assert (r["doc_type"], r["number"], r["number_blank"]) == ("cong_van", "/STTTT-CĐS", True)
    assert (r["issuer"], r["parent_issuer"]) == ("SỞ THÔNG TIN VÀ TRUYỀN THÔNG", "UBND TỈNH ĐỒNG NAI")
    assert (r["place"], r["date"], r["year"]) == ("Đồng Nai", None, 2024)
    # only the tail of the V/v line survived ("Đảng Cộng sản Việt Nam."): completed from the cited letter
    assert r["subject"] == SUBJECT_TET
    assert r["recipients"] == ["Các Sở, ban ngành", "UBND các huyện, thành phố", "Ngân hàng nhà nước tỉnh Đồng Nai",
                               "Các doanh nghiệp Viễn thông: VNPT, Viettel, MobiFone, FPT"]
    # "5644/BTTTT-CATTTngày" glued in the text
    assert r["references"] == [{"number": "5644/BTTTT-CATTT", "kind": "Văn bản", "date": "2024-12-29",
                                "issuer": "Cục An toàn thông tin – Bộ Thông tin và Truyền thông"}]
    assert [s["id"] for s in r["sections"]] == ["1", "2", "3"]
    assert [len(s["children"]) for s in r["sections"]] == [4, 4, 2]
    assert len(r["sections"][2]["children"][1]["children"]) == 3  # "+" items under "- Bộ …:"
    assert [t["id"] for t in r["tasks"]] == ["1.a", "1.b", "1.c", "1.d", "2.a", "2.b", "2.c", "2.d"]
    assert task(r, "1.d")["text"] == ("Xây dựng các kế hoạch, phương án Ứng cứu khẩn cấp để sẵn sàng triển khai các "
                                      "giải pháp ứng phó, xử lý sự cố tấn công mạng.")
    assert task(r, "2.b")["audience"] == ("Các doanh nghiệp cung cấp dịch vụ viễn thông, Internet; các tổ chức, "
                                          "doanh nghiệp cung cấp hạ tầng số, nền tảng số")
    dept = "Phòng Chuyển đổi số – Sở Thông tin và Truyền thông"
    assert r["contacts"] == [
        {"organization": dept, "person": "Nguyễn Thế Hùng", "phones": ["0384828284"],
         "emails": ["attt@dongnai.gov.vn"]},
        {"organization": dept, "person": "Nguyễn Hoàng Chương", "phones": ["0937192307"],
         "emails": ["attt@dongnai.gov.vn"]},
        ATHTTT, VNCERT,
        {"organization": NCSC_NAME, "person": None, "phones": ["02432091616", "0389942878"],
         "emails": ["ais@mic.gov.vn"]}]
    assert r["signer"] == {"name": "Võ Hoàng Khai", "title": "KT. GIÁM ĐỐC / PHÓ GIÁM ĐỐC"}  # "KT.GIÁM ĐỐC"
    assert r["cc"] == ["Như trên", "UBND tỉnh (để báo cáo)", "Ban Giám đốc", "Phòng VHTT các huyện, TP",
                       "Phòng Chuyển đổi số", "Trung tâm CNTT tỉnh", "Lưu: VT, CĐS"]
