import pytest

from lachan.monitoring.analysis import lexicon


def canonical(text):
    return {hit.term for hit in lexicon.find_terms(text)}


@pytest.mark.parametrize(("text", "term"), [
    ("cá cược", "cá cược"), ("ca cuoc", "cá cược"), ("Cá  độ bóng đá", "cá độ"), ("nhà cái", "nhà cái"),
    ("nha cai", "nhà cái"), ("nổ hũ", "nổ hũ"), ("no hu", "nổ hũ"), ("tài xỉu", "tài xỉu"), ("tai xiu", "tài xỉu"),
    ("xóc đĩa", "xóc đĩa"), ("lô đề", "lô đề"), ("lo de", "lô đề"), ("bắn cá", "bắn cá"), ("game bài", "game bài"),
    ("đánh bài", "đánh bài"), ("CASINO", "casino"), ("slot online", "slot"), ("baccarat", "baccarat"),
    ("rồng hổ", "rồng hổ"), ("đá gà", "đá gà"), ("soi kèo", "soi kèo"), ("kèo nhà cái", "kèo nhà cái"),
    ("link vào", "link vào"), ("xổ số", "xổ số"), ("bet", "bet"),
    # obfuscated spellings
    ("c.á c.ư.ợ.c", "cá cược"), ("n h à c á i", "nhà cái"), ("nh@ cai", "nhà cái"), ("c4 cuoc", "cá cược"),
    ("c\u200bá c\u200bư\u200bợ\u200bc", "cá cược"), ("nhà\u00adcái", "nhà cái"), ("ｃａｓｉｎｏ", "casino"),
    ("nha-cai-uy-tin", "nhà cái uy tín"), ("nhacai", "nhà cái"),
    # English / Indonesian spam
    ("betting", "betting"), ("poker", "poker"), ("situs slot gacor maxwin", "gacor"), ("judi bola", "judi"),
    ("togel", "togel"), ("situs", "situs"), ("maxwin", "maxwin"),
])
def test_detects(text, term):
    assert term in canonical(text)


@pytest.mark.parametrize("brand", ["w88", "fb88", "188bet", "fun88", "kubet", "new88", "jun88", "789bet", "hi88",
                                   "shbet", "j88", "okvip", "sv388"])
def test_detects_brands(brand):
    hits = lexicon.find_terms(f"Link vào {brand.upper()} mới nhất")
    assert brand in {h.term for h in hits}
    assert lexicon.score(hits) >= lexicon.SPAM_SCORE


@pytest.mark.parametrize("text", [
    "The alphabet of friendship", "Choose a time slot on the booking sheet", "a better betrayal",
    "Ngôi nhà cải tạo xong", "Cán bộ lo để ý đến dân", "Nó hư rồi", "Đội tuyển đánh bại đối thủ",
    "Ca sĩ nở nụ cười", "Người dân bán cá tươi ở chợ", "Ông ấy bàn cả buổi", "hộ nghèo được hỗ trợ",
    "Judicial reform", "tabet", "Sở Thông tin và Truyền thông", "Kết quả học tập học kỳ I",
])
def test_ordinary_text_is_not_gambling(text):
    assert lexicon.find_terms(text) == []


def test_weights_make_news_words_weak():
    # a lottery company's news or an arrest report is not spam by itself
    assert not lexicon.is_spam("Công ty Xổ số kiến thiết nộp ngân sách")
    assert not lexicon.is_spam("Công an triệt phá đường dây cá độ bóng đá")
    assert lexicon.is_spam("Nhà cái uy tín, soi kèo miễn phí")


def test_host_and_url_hits():
    assert {h.term for h in lexicon.host_hits("nhacaiuytin.com")} >= {"nhacai"}
    assert {h.term for h in lexicon.host_hits("w88vn.club")} == {"w88"}
    assert lexicon.host_hits("stttt.hoabinh.gov.vn") == ()
    assert lexicon.score(lexicon.url_hits("https://example.com/nha-cai-uy-tin/")) >= lexicon.SPAM_SCORE
    assert lexicon.url_hits("https://example.com/tin-tuc/hoi-nghi-chuyen-doi-so.html") == []


def test_fold_and_accent_forms():
    assert lexicon.fold("Đánh Bài") == "danh bai"
    assert lexicon.accent_form("NH@ CÁI") == "nha cái"
