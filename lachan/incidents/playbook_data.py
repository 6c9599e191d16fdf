"""Emergency response checklists per incident type, in Vietnamese (the working language of the responders and of
the national bodies), ordered by the phases of NIST SP 800-61 (Computer Security Incident Handling Guide) and
following the CISA Federal Government Cybersecurity Incident & Vulnerability Response Playbooks and the CISA
#StopRansomware guide, adapted to the Vietnamese reporting duties (Decision 05/2017/QĐ-TTg, Circular
20/2017/TT-BTTTT, Decree 13/2023/NĐ-CP).

Data, not code: each playbook is a key, a title, the incident types it is attached to automatically, and its
steps as (phase, text). ``playbooks.py`` reads it; an attached playbook copies its steps into the incident, so
editing this file never rewrites what responders have ticked.
"""

# NIST SP 800-61 phases with the Vietnamese names used in the checklists.
PHASES = (
    ("preparation", "Chuẩn bị"),
    ("detection", "Phát hiện và phân tích"),
    ("containment", "Ngăn chặn, loại bỏ và khôi phục"),
    ("post_incident", "Hoạt động sau sự cố"),
)

REPORT_STEP = ("detection", "Lập báo cáo ban đầu (mẫu 03, Thông tư 20/2017/TT-BTTTT) và gửi cơ quan điều phối quốc gia "
                            "(VNCERT/CC) trong 05 ngày kể từ khi phát hiện; sự cố nghiêm trọng báo cáo ngay")
LESSONS_STEP = ("post_incident", "Họp rút kinh nghiệm trong 2 tuần; ghi bài học, cập nhật kế hoạch ứng cứu khẩn cấp "
                                 "và kịch bản này")

PLAYBOOKS = (
    {
        "key": "ransomware",
        "title": "Ứng cứu sự cố tấn công mã hóa dữ liệu (ransomware)",
        "types": ("ransomware",),
        "steps": (
            ("preparation", "Xác nhận còn bản sao lưu ngoại tuyến (offline/bất biến) gần nhất và đã kiểm tra khôi phục được"),
            ("detection", "Xác định các máy bị mã hóa: phần mở rộng lạ, tệp đòi tiền chuộc (ransom note), cảnh báo EDR/AV"),
            ("detection", "Chụp ảnh màn hình thông điệp đòi tiền chuộc, lưu mẫu tệp bị mã hóa và tệp ghi chú làm bằng chứng; "
                          "xác định dòng ransomware (ID Ransomware, No More Ransom)"),
            ("containment", "Ngắt ngay các máy bị ảnh hưởng khỏi mạng (rút cáp, tắt Wi-Fi) nhưng KHÔNG tắt nguồn, để giữ "
                            "bằng chứng trong bộ nhớ"),
            ("containment", "Cô lập các phân vùng mạng, ngắt kết nối VPN và kết nối tới hệ thống sao lưu để ngăn lây lan"),
            ("containment", "Vô hiệu hóa tài khoản bị nghi lộ lọt; đổi mật khẩu quản trị miền (kể cả tài khoản krbtgt, hai lần) "
                            "và tài khoản dịch vụ"),
            ("detection", "Thu thập nhật ký (AD, VPN, tường lửa, EDR) để tìm điểm xâm nhập ban đầu và các máy khác bị cài "
                          "công cụ điều khiển từ xa"),
            REPORT_STEP,
            ("containment", "Gỡ bỏ mã độc, công cụ và cơ chế bám trụ (tác vụ định kỳ, dịch vụ, GPO lạ); cài lại máy từ "
                            "bản cài sạch khi không chắc đã làm sạch"),
            ("containment", "Khôi phục dữ liệu từ bản sao lưu sạch đã kiểm tra; vá lỗ hổng đã bị khai thác trước khi kết nối lại"),
            ("containment", "Không trả tiền chuộc; nếu có dấu hiệu tống tiền, lộ lọt dữ liệu thì báo cơ quan Công an (A05)"),
            ("post_incident", "Giám sát tăng cường các máy đã khôi phục ít nhất 30 ngày"),
            LESSONS_STEP,
        ),
    },
    {
        "key": "defacement",
        "title": "Ứng cứu sự cố tấn công thay đổi giao diện trang web (deface)",
        "types": ("defacement",),
        "steps": (
            ("detection", "Chụp lại giao diện bị thay đổi (ảnh màn hình, mã nguồn HTML, thời điểm) và lưu bằng chứng"),
            ("detection", "Xác định phạm vi: các trang, tệp bị sửa đổi; so sánh với bản gốc hoặc bản sao lưu"),
            ("containment", "Ngắt trang khỏi Internet hoặc bật trang bảo trì; thông báo cho nhà cung cấp dịch vụ lưu trữ"),
            ("detection", "Sao lưu nhật ký máy chủ web, nhật ký truy cập quản trị và cơ sở dữ liệu trước khi xử lý"),
            ("detection", "Kiểm tra webshell, tệp lạ mới tạo hoặc mới sửa trong thư mục web, tài khoản quản trị lạ trong CMS"),
            ("containment", "Xóa webshell, mã độc và tài khoản lạ; gỡ các plugin, giao diện không dùng"),
            ("containment", "Đổi toàn bộ mật khẩu quản trị (CMS, FTP/SSH, cơ sở dữ liệu, bảng điều khiển hosting)"),
            ("containment", "Vá lỗ hổng bị khai thác: cập nhật CMS, plugin, thư viện; rà quét lại bằng công cụ dò lỗ hổng"),
            ("containment", "Khôi phục từ bản sao lưu sạch, đối chiếu mã băm các tệp trước khi đưa trang trở lại hoạt động"),
            REPORT_STEP,
            ("post_incident", "Bật giám sát thay đổi giao diện và toàn vẹn tệp; đặt WAF trước trang"),
            LESSONS_STEP,
        ),
    },
    {
        "key": "ddos",
        "title": "Ứng cứu sự cố tấn công từ chối dịch vụ (DDoS)",
        "types": ("ddos",),
        "steps": (
            ("preparation", "Xác định đầu mối ứng cứu DDoS của nhà cung cấp kết nối Internet (ISP) và dịch vụ chống DDoS đã ký"),
            ("detection", "Xác nhận là tấn công (không phải lỗi hệ thống hay lượng truy cập hợp lệ tăng đột biến): băng thông, "
                          "số kết nối, tài nguyên máy chủ"),
            ("detection", "Xác định loại tấn công (volumetric, giao thức, tầng ứng dụng), địa chỉ đích, cổng và các nguồn tấn công chính"),
            ("detection", "Lưu nhật ký tường lửa, cân bằng tải, máy chủ web và mẫu lưu lượng (pcap) làm bằng chứng"),
            ("containment", "Liên hệ ISP để lọc, định tuyến hố đen (blackhole) hoặc chuyển qua trung tâm lọc sạch"),
            ("containment", "Bật các biện pháp giới hạn: rate limiting, chặn dải IP/quốc gia nguồn, CAPTCHA, bộ nhớ đệm (CDN)"),
            ("containment", "Ưu tiên các dịch vụ thiết yếu; thông báo cho người dùng về tình trạng gián đoạn"),
            REPORT_STEP,
            ("containment", "Theo dõi khi tấn công dừng; gỡ dần các biện pháp tạm thời và kiểm tra dịch vụ hoạt động bình thường"),
            ("post_incident", "Kiểm tra xem DDoS có phải đòn nghi binh che giấu một cuộc xâm nhập khác không"),
            LESSONS_STEP,
        ),
    },
    {
        "key": "data_leak",
        "title": "Ứng cứu sự cố đánh cắp, lộ lọt dữ liệu",
        "types": ("data_leak",),
        "steps": (
            ("detection", "Xác định dữ liệu bị lộ: loại dữ liệu, số bản ghi, có dữ liệu cá nhân hoặc bí mật nhà nước không"),
            ("detection", "Lưu bằng chứng nơi dữ liệu bị đăng tải, rao bán (ảnh chụp, đường dẫn, thời điểm)"),
            ("containment", "Chặn kênh lộ lọt: đóng chia sẻ công khai, thu hồi khóa API, vô hiệu hóa tài khoản bị lợi dụng"),
            ("detection", "Thu thập nhật ký truy cập cơ sở dữ liệu, máy chủ tệp, thư điện tử để xác định thời gian và cách thức"),
            ("containment", "Đổi mật khẩu, khóa, chứng thư liên quan; buộc người dùng bị ảnh hưởng đổi mật khẩu"),
            ("detection", "Dữ liệu cá nhân bị lộ: thông báo Cục An ninh mạng và phòng, chống tội phạm sử dụng công nghệ cao "
                          "(A05, Bộ Công an) trong 72 giờ (Nghị định 13/2023/NĐ-CP, Điều 23)"),
            REPORT_STEP,
            ("containment", "Vá lỗ hổng hoặc sửa cấu hình gây lộ lọt; rà soát phân quyền truy cập dữ liệu"),
            ("containment", "Đề nghị gỡ bỏ dữ liệu bị đăng tải (nền tảng, nhà cung cấp dịch vụ, cơ quan chức năng)"),
            ("post_incident", "Thông báo cho chủ thể dữ liệu khi cần và hướng dẫn họ phòng tránh lừa đảo"),
            LESSONS_STEP,
        ),
    },
    {
        "key": "botnet",
        "title": "Ứng cứu sự cố máy tính nhiễm mã độc, tham gia mạng botnet",
        "types": ("botnet", "malware"),
        "steps": (
            ("detection", "Xác định máy có địa chỉ IP trong danh sách botnet hoặc cảnh báo mã độc: chủ sở hữu, vị trí, "
                          "thời điểm kết nối C&C"),
            ("containment", "Cách ly máy khỏi mạng (VLAN cách ly hoặc ngắt kết nối) nhưng giữ nguyên trạng để điều tra"),
            ("detection", "Thu thập bằng chứng: tiến trình, kết nối mạng, tác vụ khởi động, mẫu tệp nghi ngờ (nén ZIP có mật khẩu)"),
            ("detection", "Tra cứu các IoC (IP, tên miền C&C, mã băm) và rà soát các máy khác có cùng dấu hiệu"),
            ("containment", "Chặn tên miền, địa chỉ C&C trên tường lửa, DNS và proxy"),
            ("containment", "Gỡ bỏ mã độc bằng công cụ diệt virus cập nhật; cài lại hệ điều hành nếu không làm sạch được"),
            ("containment", "Cập nhật bản vá hệ điều hành, phần mềm; đổi mật khẩu các tài khoản đã dùng trên máy"),
            REPORT_STEP,
            ("post_incident", "Theo dõi danh sách botnet các tháng sau để xác nhận địa chỉ IP không còn xuất hiện"),
            LESSONS_STEP,
        ),
    },
    {
        "key": "phishing",
        "title": "Ứng cứu sự cố tấn công lừa đảo (phishing), lừa đảo trực tuyến",
        "types": ("phishing",),
        "steps": (
            ("detection", "Lưu thư hoặc tin nhắn lừa đảo nguyên bản (tệp .eml có đầy đủ header), đường dẫn, tệp đính kèm"),
            ("detection", "Xác định những người đã nhận, đã bấm liên kết, đã nhập mật khẩu hoặc mở tệp đính kèm"),
            ("containment", "Xóa thư lừa đảo khỏi mọi hộp thư; chặn người gửi, tên miền và đường dẫn trên cổng thư và proxy"),
            ("containment", "Đổi mật khẩu và thu hồi phiên đăng nhập của tài khoản đã nhập thông tin; bật xác thực hai yếu tố"),
            ("detection", "Rà soát hộp thư bị chiếm: quy tắc chuyển tiếp lạ, thư đã gửi đi, đăng nhập từ địa chỉ lạ"),
            ("containment", "Máy đã mở tệp đính kèm: cách ly và xử lý theo kịch bản nhiễm mã độc"),
            ("containment", "Đề nghị gỡ trang lừa đảo (nhà đăng ký tên miền, nhà cung cấp lưu trữ, VNCERT/CC)"),
            REPORT_STEP,
            ("post_incident", "Cảnh báo toàn đơn vị về mẫu lừa đảo này; nhắc cách nhận biết và báo cáo thư nghi ngờ"),
            LESSONS_STEP,
        ),
    },
    {
        "key": "generic",
        "title": "Quy trình ứng cứu sự cố an toàn thông tin mạng chung",
        "types": ("intrusion", "vulnerability", "other"),
        "steps": (
            ("preparation", "Xác định người chỉ huy ứng cứu, đầu mối liên lạc và kênh liên lạc dự phòng (không qua hệ thống bị ảnh hưởng)"),
            ("detection", "Xác nhận sự cố, ghi nhận thời điểm phát hiện, hệ thống và cấp độ an toàn bị ảnh hưởng"),
            ("detection", "Đánh giá mức độ: có thuộc sự cố nghiêm trọng theo Quyết định 05/2017/QĐ-TTg không"),
            ("detection", "Thu thập, bảo toàn bằng chứng (nhật ký, ảnh bộ nhớ, ảnh đĩa) với mã băm SHA-256"),
            REPORT_STEP,
            ("containment", "Ngăn chặn: cô lập hệ thống, chặn địa chỉ và tài khoản tấn công"),
            ("containment", "Loại bỏ nguyên nhân: gỡ mã độc, vá lỗ hổng, đổi mật khẩu bị lộ"),
            ("containment", "Khôi phục hệ thống từ bản sao lưu sạch, kiểm tra trước khi đưa vào hoạt động"),
            ("post_incident", "Giám sát tăng cường sau khôi phục để phát hiện tái nhiễm"),
            LESSONS_STEP,
        ),
    },
)
