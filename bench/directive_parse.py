"""Time ``lachan.directives.parsing`` on the five seed letters and on a synthetic 300-page letter.

    .venv/bin/python bench/directive_parse.py [--repeat N]

Prints the median milliseconds per document (no assertion: figures only).
"""

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "lachan.settings")

import django  # noqa: E402

django.setup()

from lachan.directives.parsing import parse_document, parse_text  # noqa: E402

SEEDS = ROOT.parent / "shared" / "seeds"


def synthetic_letter(pages=300):
    """A công văn of ``pages`` pages (~45 lines each): numbered sections of lettered items with broken lines,
    contacts, and an appendix of units."""
    out = ["UBND TỈNH ĐỒNG NAI", "SỞ THÔNG TIN VÀ TRUYỀN THÔNG", "Số: 12/STTTT-CĐS",
           "V/v tăng cường bảo đảm an toàn thông tin mạng", "Đồng Nai, ngày 5 tháng 3 năm 2026", "Kính gửi:",
           "- Các Sở, ban, ngành;", "- UBND các huyện, thành phố.",
           "Thực hiện Văn bản số 5644/BTTTT-CATTT ngày 29/12/2024 của Bộ Thông tin và Truyền thông, Sở đề nghị:"]
    lines_per_page, section = 45, 0
    while len(out) < pages * lines_per_page * 0.8:
        section += 1
        out.append(f"{section}. Các doanh nghiệp nhóm {section}:")
        for letter in "abcdđeg":
            out += [f"{letter}) Rà soát, kiểm tra và bóc gỡ các phần mềm độc hại cho toàn bộ máy",
                    "chủ, máy trạm trong hệ thống mạng; cập nhật bản vá theo Công văn số",
                    f"{section}/STTTT-CĐS ngày 02/01/2025 của Sở Thông tin và Truyền thông."]
        out.append(f"- Phòng Chuyển đổi số, điện thoại 0384.828.{section % 1000:03d}, thư điện tử: attt@dongnai.gov.vn.")
    out += ["Trân trọng./.", "Nơi nhận:", "- Như trên;", "- Lưu: VT.", "KT. GIÁM ĐỐC", "PHÓ GIÁM ĐỐC",
            "Võ Hoàng Khai", "PHỤ LỤC", "DANH SÁCH CÁC ĐƠN VỊ NHẬN VĂN BẢN", "STT\tTÊN ĐƠN VỊ"]
    while len(out) < pages * lines_per_page:
        out.append(f"<b>Nhóm {len(out)}</b>\t")
        out += [f"{i}.\tĐơn vị số {i}" for i in range(1, 21)]
    return "\n".join(out)


def median_ms(fn, repeat):
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        result = fn()
        times.append((time.perf_counter() - start) * 1000)
    return statistics.median(times), result


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    print(f"{'document':42} {'median ms':>10} {'tasks':>6}")
    for path in sorted(SEEDS.glob("0*.txt")):
        ms, result = median_ms(lambda p=path: parse_document(p), args.repeat)
        print(f"{path.name:42} {ms:10.1f} {len(result['tasks']):6}")
    text = synthetic_letter()
    ms, result = median_ms(lambda: parse_text(text), max(1, args.repeat // 2))
    units = sum(len(g["units"]) for g in result["appendix_units"])
    print(f"{'synthetic 300 pages (' + str(len(text) // 1024) + ' KiB)':42} {ms:10.1f} {len(result['tasks']):6}"
          f"  ({units} appendix units, {len(result['contacts'])} contacts)")


if __name__ == "__main__":
    main()
