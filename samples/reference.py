"""Reference data of the sample world: the units, the procedures catalogue, and the report's published figures.

`build_units` lists Nghệ An's 130 communes (official codes of letter 1027/CTK-CSCL) and ~20 province-level agencies,
plus, for benchmarks, the communes of other provinces (package `vietnam_provinces`) with agencies of their own.
`build_catalogue` makes the procedures catalogue: real-looking procedure names per field and agency, service level
MucDo 2/3/4, and the boundary-free flag of P8 (exactly 205 approved, 23 pending over 5 agencies). Each procedure also
carries what the generator needs and the catalogue file does not show (legal duration, fees, popularity).
`write_reference` writes the three files of docs/data-contracts.md §1.1-1.3.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from vietnam_provinces import Province, Ward

from samples.communes_nghean import COMMUNES, HIGHLAND

HOME = "40"
HOME_NAME = "Tỉnh Nghệ An"

# Province-level agencies: (nn, name, kind, relative volume, base online ratio).
# Volumes follow what the one-stop centre of a province receives: police (vehicles, passports, seals), construction
# (driving licences), justice (criminal-record certificates), land and social insurance dominate.
AGENCIES: tuple[tuple[int, str, str, float, float], ...] = (
    (1, "Sở Xây dựng", "sở", 14.0, 0.80),
    (2, "Sở Y tế", "sở", 5.0, 0.70),
    (3, "Sở Khoa học và Công nghệ", "sở", 1.2, 0.90),
    (4, "Sở Giáo dục và Đào tạo", "sở", 3.0, 0.75),
    (5, "Sở Dân tộc và Tôn giáo", "sở", 0.6, 0.55),
    (6, "Sở Nội vụ", "sở", 3.0, 0.72),
    (7, "Sở Tư pháp", "sở", 12.0, 0.82),
    (8, "Sở Tài chính", "sở", 7.0, 0.93),
    (9, "Sở Công Thương", "sở", 4.0, 0.85),
    (10, "Sở Nông nghiệp và Môi trường", "sở", 9.0, 0.50),
    (11, "Sở Văn hóa, Thể thao và Du lịch", "sở", 1.5, 0.78),
    (12, "Văn phòng UBND tỉnh", "ngành", 0.5, 0.60),
    (13, "Thanh tra tỉnh", "ngành", 0.3, 0.35),
    (14, "Ban Quản lý Khu kinh tế Đông Nam", "ngành", 1.0, 0.95),
    (15, "Công an tỉnh", "ngành", 16.0, 0.68),
    (16, "Bảo hiểm xã hội tỉnh", "ngành", 9.0, 0.66),
    (17, "Thuế tỉnh", "ngành", 6.0, 0.88),
    (18, "Công ty Điện lực", "ngành", 5.0, 0.62),
    (19, "Kho bạc Nhà nước tỉnh", "ngành", 0.8, 0.97),
    (20, "Bộ Chỉ huy Quân sự tỉnh", "ngành", 0.5, 0.40),
)

# Fields: (owner agency nn, level, field name, legal duration in working days, fee items, share of organisations
# among applicants, involves a financial obligation (status 6), name of the result document, field weight, items).
# An item starting with "*" expands into Cấp / Cấp lại / Điều chỉnh / Gia hạn of its object, "+" into Cấp / Cấp lại.
FIELDS: tuple[tuple, ...] = (
    (1, "province", "Hoạt động xây dựng", 15, 1, 0.6, False, "Giấy phép xây dựng", 3, (
        "*giấy phép xây dựng đối với công trình cấp I, cấp II", "*giấy phép xây dựng công trình tôn giáo, tín ngưỡng",
        "*chứng chỉ hành nghề hoạt động xây dựng hạng II, hạng III", "+chứng chỉ năng lực hoạt động xây dựng hạng II, hạng III",
        "Thẩm định báo cáo nghiên cứu khả thi đầu tư xây dựng", "Thẩm định thiết kế xây dựng triển khai sau thiết kế cơ sở")),
    (1, "province", "Đường bộ", 5, 1, 0.1, False, "Giấy phép lái xe", 8, (
        "Đổi giấy phép lái xe do ngành Giao thông vận tải cấp", "Cấp lại giấy phép lái xe", "Cấp giấy phép lái xe quốc tế",
        "*giấy phép kinh doanh vận tải bằng xe ô tô", "+phù hiệu xe ô tô kinh doanh vận tải",
        "Đăng ký khai thác tuyến vận tải hành khách cố định bằng xe ô tô", "Cấp giấy phép liên vận Việt - Lào")),
    (1, "province", "Nhà ở và thị trường bất động sản", 15, 1, 0.5, False, "Văn bản chấp thuận", 1, (
        "Thông báo nhà ở hình thành trong tương lai đủ điều kiện được bán, cho thuê mua", "Công nhận chủ đầu tư dự án nhà ở",
        "+chứng chỉ hành nghề môi giới bất động sản")),
    (2, "province", "Khám bệnh, chữa bệnh", 20, 1, 0.3, False, "Giấy phép hành nghề", 4, (
        "+giấy phép hành nghề khám bệnh, chữa bệnh", "*giấy phép hoạt động đối với phòng khám đa khoa",
        "*giấy phép hoạt động đối với phòng khám chuyên khoa", "Công bố cơ sở đủ điều kiện thực hiện khám sức khỏe")),
    (2, "province", "Dược phẩm", 20, 1, 0.7, False, "Giấy chứng nhận đủ điều kiện kinh doanh dược", 3, (
        "+giấy chứng nhận đủ điều kiện kinh doanh dược", "+chứng chỉ hành nghề dược",
        "Cấp phép xuất bản tài liệu thông tin thuốc")),
    (2, "province", "Bảo trợ xã hội", 10, 0, 0.1, False, "Quyết định", 1, (
        "Tiếp nhận đối tượng bảo trợ xã hội có hoàn cảnh đặc biệt khó khăn vào cơ sở trợ giúp xã hội",
        "Đăng ký thành lập cơ sở trợ giúp xã hội ngoài công lập")),
    (2, "province", "An toàn thực phẩm", 15, 1, 0.8, False, "Giấy chứng nhận cơ sở đủ điều kiện an toàn thực phẩm", 2, (
        "+giấy chứng nhận cơ sở đủ điều kiện an toàn thực phẩm", "Đăng ký bản công bố sản phẩm dinh dưỡng y học")),
    (3, "province", "Hoạt động khoa học và công nghệ", 10, 0, 0.8, False, "Giấy chứng nhận", 2, (
        "+giấy chứng nhận đăng ký hoạt động khoa học và công nghệ", "Đăng ký kết quả thực hiện nhiệm vụ khoa học và công nghệ",
        "Cấp giấy chứng nhận doanh nghiệp khoa học và công nghệ")),
    (3, "province", "Tiêu chuẩn, đo lường, chất lượng", 7, 1, 0.9, False, "Thông báo kết quả kiểm tra", 3, (
        "Đăng ký kiểm tra nhà nước về chất lượng hàng hóa nhập khẩu", "+giấy chứng nhận đăng ký hoạt động thử nghiệm",
        "Công bố sử dụng dấu định lượng")),
    (3, "province", "Bưu chính", 10, 1, 0.9, False, "Giấy phép bưu chính", 1, (
        "*giấy phép bưu chính", "Cấp văn bản xác nhận thông báo hoạt động bưu chính")),
    (3, "province", "An toàn bức xạ và hạt nhân", 15, 1, 0.7, False, "Giấy phép tiến hành công việc bức xạ", 1, (
        "*giấy phép tiến hành công việc bức xạ sử dụng thiết bị X-quang chẩn đoán trong y tế",)),
    (4, "province", "Văn bằng, chứng chỉ", 5, 0, 0.05, False, "Bản sao văn bằng", 4, (
        "Cấp bản sao văn bằng, chứng chỉ từ sổ gốc", "Chỉnh sửa nội dung văn bằng, chứng chỉ",
        "Công nhận văn bằng tốt nghiệp do cơ sở giáo dục nước ngoài cấp", "Phúc khảo bài thi tốt nghiệp trung học phổ thông")),
    (4, "province", "Giáo dục trung học", 5, 0, 0.05, False, "Văn bản chấp thuận", 2, (
        "Chuyển trường đối với học sinh trung học phổ thông", "Xin học lại tại trường khác đối với học sinh trung học")),
    (4, "province", "Cơ sở giáo dục", 20, 1, 0.9, False, "Quyết định", 1, (
        "Cho phép trường trung học phổ thông hoạt động giáo dục", "Cho phép thành lập trung tâm ngoại ngữ, tin học",
        "Cấp giấy chứng nhận đăng ký hoạt động giáo dục nghề nghiệp", "Cấp phép tổ chức hoạt động dạy thêm, học thêm")),
    (5, "province", "Tôn giáo", 30, 0, 0.9, False, "Văn bản chấp thuận", 2, (
        "Đăng ký thuyên chuyển chức sắc, chức việc, nhà tu hành", "Đề nghị tổ chức cuộc lễ ngoài cơ sở tôn giáo",
        "Đăng ký mở lớp bồi dưỡng về tôn giáo", "Thông báo tổ chức hội nghị thường niên của tổ chức tôn giáo",
        "Đề nghị sinh hoạt tôn giáo tập trung của người nước ngoài")),
    (5, "province", "Công tác dân tộc", 10, 0, 0.1, False, "Quyết định", 1, (
        "Công nhận người có uy tín trong đồng bào dân tộc thiểu số",
        "Đưa ra khỏi danh sách người có uy tín trong đồng bào dân tộc thiểu số")),
    (6, "province", "Việc làm", 5, 1, 0.9, False, "Giấy phép lao động", 3, (
        "*giấy phép lao động cho người lao động nước ngoài làm việc tại Việt Nam",
        "Xác nhận người lao động nước ngoài không thuộc diện cấp giấy phép lao động")),
    (6, "province", "Người có công", 10, 0, 0.0, False, "Quyết định", 3, (
        "Giải quyết chế độ trợ cấp thờ cúng liệt sĩ", "Công nhận thân nhân liệt sĩ",
        "Di chuyển hồ sơ người có công với cách mạng", "Cấp giấy chứng nhận thân nhân liệt sĩ")),
    (6, "province", "Thi đua, khen thưởng", 20, 0, 0.3, False, "Quyết định khen thưởng", 1, (
        "Tặng Bằng khen của Chủ tịch UBND tỉnh", "Tặng danh hiệu Chiến sĩ thi đua cấp tỉnh", "Tặng Cờ thi đua của UBND tỉnh")),
    (6, "province", "Tổ chức phi chính phủ", 30, 0, 0.8, False, "Quyết định", 1, (
        "Công nhận ban vận động thành lập hội", "Phê duyệt điều lệ hội", "Cho phép thành lập hội có phạm vi hoạt động trong tỉnh")),
    (7, "province", "Lý lịch tư pháp", 10, 1, 0.0, False, "Phiếu lý lịch tư pháp", 10, (
        "Cấp Phiếu lý lịch tư pháp cho công dân Việt Nam, người nước ngoài đang cư trú tại Việt Nam",
        "Cấp Phiếu lý lịch tư pháp cho cơ quan tiến hành tố tụng",
        "Cấp Phiếu lý lịch tư pháp cho cơ quan nhà nước, tổ chức chính trị, tổ chức chính trị - xã hội")),
    (7, "province", "Hộ tịch", 5, 1, 0.0, False, "Trích lục hộ tịch", 1, (
        "Ghi vào Sổ hộ tịch việc kết hôn của công dân Việt Nam đã được giải quyết tại cơ quan có thẩm quyền của nước ngoài",
        "Ghi vào Sổ hộ tịch việc ly hôn của công dân Việt Nam đã được giải quyết tại cơ quan có thẩm quyền của nước ngoài",
        "Cấp bản sao trích lục hộ tịch từ Sổ hộ tịch lưu tại cấp tỉnh")),
    (7, "province", "Quốc tịch", 30, 1, 0.0, False, "Quyết định", 1, (
        "Thôi quốc tịch Việt Nam ở trong nước", "Xác nhận có quốc tịch Việt Nam ở trong nước", "Nhập quốc tịch Việt Nam")),
    (7, "province", "Công chứng", 10, 1, 0.5, False, "Quyết định", 1, (
        "*thẻ công chứng viên", "Thành lập Văn phòng công chứng", "Đăng ký hoạt động Văn phòng công chứng")),
    (7, "province", "Luật sư", 7, 1, 0.5, False, "Giấy đăng ký hoạt động", 1, (
        "+giấy đăng ký hoạt động của tổ chức hành nghề luật sư", "Đăng ký hành nghề luật sư với tư cách cá nhân")),
    (7, "province", "Đấu giá tài sản", 7, 1, 0.6, False, "Giấy đăng ký hoạt động", 1, (
        "+giấy đăng ký hoạt động của doanh nghiệp đấu giá tài sản",)),
    (8, "province", "Thành lập và hoạt động của doanh nghiệp", 3, 1, 1.0, False, "Giấy chứng nhận đăng ký doanh nghiệp", 8, (
        "Đăng ký thành lập công ty trách nhiệm hữu hạn một thành viên",
        "Đăng ký thành lập công ty trách nhiệm hữu hạn hai thành viên trở lên", "Đăng ký thành lập công ty cổ phần",
        "Đăng ký thành lập doanh nghiệp tư nhân", "Đăng ký thay đổi người đại diện theo pháp luật",
        "Đăng ký thay đổi vốn điều lệ", "Đăng ký thay đổi địa chỉ trụ sở chính của doanh nghiệp",
        "Thông báo thay đổi ngành, nghề kinh doanh", "Thông báo tạm ngừng kinh doanh", "Giải thể doanh nghiệp",
        "Đăng ký hoạt động chi nhánh, văn phòng đại diện, địa điểm kinh doanh")),
    (8, "province", "Đầu tư tại Việt Nam", 15, 0, 1.0, False, "Giấy chứng nhận đăng ký đầu tư", 1, (
        "*giấy chứng nhận đăng ký đầu tư", "Chấp thuận chủ trương đầu tư của UBND cấp tỉnh")),
    (8, "province", "Quản lý công sản", 15, 0, 0.9, False, "Quyết định", 1, (
        "Mua sắm tài sản công phục vụ hoạt động của cơ quan", "Thanh lý tài sản công")),
    (9, "province", "Lưu thông hàng hóa trong nước", 10, 1, 0.8, False, "Giấy phép", 3, (
        "*giấy phép bán lẻ sản phẩm thuốc lá", "*giấy phép bán buôn rượu", "+giấy phép bán buôn sản phẩm thuốc lá",
        "+giấy chứng nhận đủ điều kiện cửa hàng bán lẻ xăng dầu")),
    (9, "province", "Điện", 10, 1, 0.9, False, "Giấy phép hoạt động điện lực", 1, (
        "*giấy phép hoạt động điện lực trong lĩnh vực phát điện", "Cấp thẻ kiểm tra viên điện lực")),
    (9, "province", "Hóa chất", 10, 1, 0.9, False, "Giấy chứng nhận", 1, (
        "+giấy chứng nhận đủ điều kiện sản xuất, kinh doanh hóa chất", "Cấp giấy phép sử dụng vật liệu nổ công nghiệp")),
    (9, "province", "Xúc tiến thương mại", 5, 0, 0.9, False, "Văn bản xác nhận", 2, (
        "Đăng ký thực hiện khuyến mại theo hình thức mang tính may rủi", "Thông báo thực hiện khuyến mại",
        "Đăng ký tổ chức hội chợ, triển lãm thương mại")),
    (10, "province", "Đất đai", 15, 2, 0.3, True, "Giấy chứng nhận quyền sử dụng đất", 8, (
        "Đăng ký biến động quyền sử dụng đất, quyền sở hữu tài sản gắn liền với đất",
        "Cấp đổi Giấy chứng nhận quyền sử dụng đất", "Cấp lại Giấy chứng nhận quyền sử dụng đất do bị mất",
        "Chuyển mục đích sử dụng đất đối với tổ chức", "Giao đất, cho thuê đất cho tổ chức",
        "Gia hạn sử dụng đất ngoài khu công nghệ cao, khu kinh tế", "Xóa đăng ký thế chấp quyền sử dụng đất",
        "Đăng ký thế chấp quyền sử dụng đất, tài sản gắn liền với đất", "Cung cấp thông tin, dữ liệu đất đai")),
    (10, "province", "Môi trường", 20, 1, 0.95, False, "Giấy phép môi trường", 1, (
        "*giấy phép môi trường", "Thẩm định báo cáo đánh giá tác động môi trường", "Đăng ký môi trường")),
    (10, "province", "Tài nguyên nước", 20, 1, 0.9, False, "Giấy phép tài nguyên nước", 1, (
        "*giấy phép khai thác, sử dụng nước mặt", "+giấy phép thăm dò nước dưới đất")),
    (10, "province", "Thú y", 5, 1, 0.6, False, "Giấy chứng nhận", 2, (
        "Cấp giấy chứng nhận kiểm dịch động vật, sản phẩm động vật vận chuyển ra khỏi địa bàn tỉnh",
        "+giấy chứng nhận đủ điều kiện vệ sinh thú y")),
    (10, "province", "Trồng trọt và bảo vệ thực vật", 10, 1, 0.8, False, "Giấy chứng nhận", 1, (
        "+giấy chứng nhận đủ điều kiện buôn bán thuốc bảo vệ thực vật", "+giấy chứng nhận đủ điều kiện buôn bán phân bón")),
    (10, "province", "Thủy sản", 5, 1, 0.3, False, "Giấy chứng nhận", 1, (
        "Cấp giấy chứng nhận đăng ký tàu cá", "Cấp văn bản chấp thuận đóng mới, cải hoán tàu cá",
        "+giấy phép khai thác thủy sản")),
    (11, "province", "Du lịch", 10, 1, 0.9, False, "Giấy phép", 2, (
        "*giấy phép kinh doanh dịch vụ lữ hành nội địa", "+thẻ hướng dẫn viên du lịch", "Công nhận hạng cơ sở lưu trú du lịch")),
    (11, "province", "Văn hóa", 5, 1, 0.8, False, "Văn bản chấp thuận", 2, (
        "Tổ chức biểu diễn nghệ thuật", "Tổ chức lễ hội cấp tỉnh", "+giấy phép kinh doanh dịch vụ karaoke",
        "Thông báo tổ chức đoàn người thực hiện quảng cáo")),
    (11, "province", "Thể dục, thể thao", 7, 1, 0.9, False, "Giấy chứng nhận", 1, (
        "+giấy chứng nhận đủ điều kiện kinh doanh hoạt động thể thao",
        "Đăng cai tổ chức giải thi đấu vô địch từng môn thể thao cấp tỉnh")),
    (11, "province", "Xuất bản, in và phát hành", 10, 1, 0.8, False, "Giấy phép", 1, (
        "*giấy phép xuất bản bản tin", "Cấp giấy phép hoạt động in", "Đăng ký hoạt động cơ sở in")),
    (12, "province", "Ngoại vụ", 5, 0, 0.6, False, "Văn bản", 2, (
        "Cho phép tổ chức hội nghị, hội thảo quốc tế thuộc thẩm quyền của Chủ tịch UBND tỉnh",
        "Cho phép sử dụng thẻ đi lại của doanh nhân APEC", "Xác nhận lãnh sự giấy tờ")),
    (12, "province", "Kiểm soát thủ tục hành chính", 10, 0, 0.5, False, "Văn bản trả lời", 1, (
        "Tiếp nhận, xử lý phản ánh, kiến nghị về quy định hành chính",)),
    (13, "province", "Khiếu nại, tố cáo", 30, 0, 0.3, False, "Văn bản", 3, (
        "Giải quyết khiếu nại lần đầu", "Giải quyết khiếu nại lần hai", "Giải quyết tố cáo",
        "Tiếp công dân tại cấp tỉnh", "Xử lý đơn thư")),
    (13, "province", "Phòng, chống tham nhũng", 10, 0, 0.5, False, "Văn bản", 1, (
        "Xác minh tài sản, thu nhập", "Tiếp nhận yêu cầu giải trình")),
    (14, "province", "Đầu tư trong khu kinh tế", 15, 0, 1.0, False, "Giấy chứng nhận đăng ký đầu tư", 2, (
        "*giấy chứng nhận đăng ký đầu tư trong khu kinh tế, khu công nghiệp", "Chấp thuận chủ trương đầu tư trong khu kinh tế")),
    (14, "province", "Xây dựng trong khu kinh tế", 20, 1, 1.0, False, "Giấy phép xây dựng", 1, (
        "*giấy phép xây dựng trong khu kinh tế, khu công nghiệp",)),
    (14, "province", "Lao động trong khu kinh tế", 5, 0, 1.0, False, "Giấy phép lao động", 1, (
        "*giấy phép lao động cho người nước ngoài làm việc trong khu kinh tế", "Đăng ký nội quy lao động")),
    (15, "province", "Quản lý con dấu", 3, 1, 0.9, False, "Giấy chứng nhận đăng ký mẫu con dấu", 1, (
        "Đăng ký mẫu con dấu mới", "Đăng ký lại mẫu con dấu", "Đăng ký thêm con dấu")),
    (15, "province", "Quản lý xuất nhập cảnh", 8, 1, 0.0, False, "Hộ chiếu", 6, (
        "Cấp hộ chiếu phổ thông ở trong nước", "Trình báo mất hộ chiếu phổ thông",
        "Cấp thị thực cho người nước ngoài tại Việt Nam", "Gia hạn tạm trú cho người nước ngoài tại Việt Nam",
        "Cấp thẻ tạm trú cho người nước ngoài")),
    (15, "province", "Đăng ký, quản lý phương tiện giao thông", 2, 1, 0.2, False, "Chứng nhận đăng ký xe", 8, (
        "Đăng ký xe lần đầu", "Đăng ký sang tên xe", "Thu hồi đăng ký, biển số xe",
        "Cấp đổi chứng nhận đăng ký xe, biển số xe")),
    (15, "province", "Phòng cháy, chữa cháy", 10, 1, 0.9, False, "Văn bản thẩm duyệt", 1, (
        "Thẩm định thiết kế về phòng cháy và chữa cháy", "Nghiệm thu về phòng cháy và chữa cháy",
        "Cấp chứng chỉ hành nghề dịch vụ phòng cháy và chữa cháy")),
    (15, "province", "Ngành nghề kinh doanh có điều kiện về an ninh, trật tự", 5, 0, 0.9, False, "Giấy chứng nhận", 1, (
        "+giấy chứng nhận đủ điều kiện về an ninh, trật tự",)),
    (16, "province", "Thu bảo hiểm xã hội, bảo hiểm y tế", 5, 0, 0.5, False, "Sổ bảo hiểm xã hội", 4, (
        "Đăng ký tham gia bảo hiểm xã hội, bảo hiểm y tế bắt buộc", "Đăng ký đóng bảo hiểm xã hội tự nguyện",
        "Cấp lại, đổi, điều chỉnh thông tin trên sổ bảo hiểm xã hội", "Cấp lại thẻ bảo hiểm y tế do bị mất, hỏng",
        "Đăng ký tham gia bảo hiểm y tế hộ gia đình")),
    (16, "province", "Chế độ bảo hiểm xã hội", 10, 0, 0.1, False, "Quyết định hưởng", 4, (
        "Giải quyết hưởng chế độ ốm đau", "Giải quyết hưởng chế độ thai sản", "Giải quyết hưởng lương hưu",
        "Giải quyết hưởng bảo hiểm xã hội một lần", "Giải quyết hưởng trợ cấp tuất")),
    (16, "province", "Bảo hiểm thất nghiệp", 15, 0, 0.0, False, "Quyết định", 2, (
        "Giải quyết hưởng trợ cấp thất nghiệp", "Tạm dừng hưởng trợ cấp thất nghiệp")),
    (17, "province", "Thuế", 3, 0, 0.8, False, "Thông báo", 1, (
        "Đăng ký thuế lần đầu đối với người nộp thuế là tổ chức", "Đăng ký thuế đối với cá nhân",
        "Thay đổi thông tin đăng ký thuế", "Khai thuế đối với hoạt động cho thuê tài sản", "Hoàn thuế giá trị gia tăng",
        "Miễn, giảm tiền thuê đất", "Xác nhận việc thực hiện nghĩa vụ thuế", "Khai lệ phí trước bạ nhà, đất",
        "Gia hạn nộp thuế")),
    (18, "province", "Cung cấp điện", 3, 0, 0.2, False, "Hợp đồng mua bán điện", 1, (
        "Cấp điện mới từ lưới điện hạ áp", "Cấp điện mới từ lưới điện trung áp", "Thay đổi mục đích sử dụng điện",
        "Thay đổi chủ thể hợp đồng mua bán điện", "Kiểm tra, thay thế công tơ", "Di dời công tơ, đường dây",
        "Tạm ngừng, chấm dứt hợp đồng mua bán điện")),
    (19, "province", "Kho bạc nhà nước", 1, 0, 1.0, False, "Thông báo", 1, (
        "Đăng ký mở tài khoản tại Kho bạc Nhà nước", "Đăng ký, thay đổi mẫu dấu, chữ ký",
        "Kiểm soát chi thường xuyên ngân sách nhà nước", "Kiểm soát thanh toán vốn đầu tư",
        "Cấp mã số đơn vị có quan hệ với ngân sách")),
    (20, "province", "Quốc phòng", 10, 0, 0.0, False, "Quyết định", 1, (
        "Đăng ký nghĩa vụ quân sự lần đầu",
        "Giải quyết chế độ trợ cấp một lần đối với người trực tiếp tham gia kháng chiến",
        "Xác nhận thời gian phục vụ trong quân đội", "Đăng ký phương tiện kỹ thuật dự bị động viên")),
    # Commune level: every commune and ward handles the same catalogue; the owner is the department of the field.
    (7, "commune", "Chứng thực", 0.5, 1, 0.05, False, "Bản sao chứng thực", 40, (
        "Chứng thực bản sao từ bản chính giấy tờ, văn bản", "Chứng thực chữ ký trong các giấy tờ, văn bản",
        "Chứng thực hợp đồng, giao dịch liên quan đến tài sản là động sản, quyền sử dụng đất và nhà ở",
        "Chứng thực di chúc", "Chứng thực văn bản thỏa thuận phân chia di sản",
        "Chứng thực việc sửa đổi, bổ sung, hủy bỏ hợp đồng, giao dịch")),
    (7, "commune", "Hộ tịch", 1, 1, 0.0, False, "Trích lục hộ tịch", 25, (
        "Đăng ký khai sinh", "Đăng ký khai tử", "Đăng ký kết hôn", "Đăng ký nhận cha, mẹ, con",
        "Đăng ký thay đổi, cải chính, bổ sung thông tin hộ tịch", "Cấp giấy xác nhận tình trạng hôn nhân",
        "Đăng ký lại khai sinh", "Cấp bản sao trích lục hộ tịch", "Đăng ký khai sinh có yếu tố nước ngoài",
        "Đăng ký kết hôn có yếu tố nước ngoài",
        "Liên thông thủ tục đăng ký khai sinh, đăng ký thường trú, cấp thẻ bảo hiểm y tế cho trẻ em dưới 6 tuổi",
        "Liên thông thủ tục đăng ký khai tử, xóa đăng ký thường trú, hưởng chế độ tử tuất")),
    (10, "commune", "Đất đai", 10, 2, 0.05, True, "Giấy chứng nhận quyền sử dụng đất", 10, (
        "Đăng ký đất đai, tài sản gắn liền với đất lần đầu",
        "Đăng ký biến động do chuyển nhượng, tặng cho, thừa kế quyền sử dụng đất",
        "Chuyển mục đích sử dụng đất đối với hộ gia đình, cá nhân", "Tách thửa, hợp thửa đất",
        "Hòa giải tranh chấp đất đai", "Xác nhận tiếp tục sử dụng đất nông nghiệp")),
    (1, "commune", "Xây dựng", 15, 1, 0.05, False, "Giấy phép xây dựng", 3, (
        "*giấy phép xây dựng nhà ở riêng lẻ", "Cấp giấy phép sửa chữa, cải tạo công trình",
        "Đăng ký phương tiện thủy nội địa")),
    (8, "commune", "Thành lập và hoạt động của hộ kinh doanh", 3, 1, 0.3, False, "Giấy chứng nhận đăng ký hộ kinh doanh", 4, (
        "Đăng ký thành lập hộ kinh doanh", "Đăng ký thay đổi nội dung đăng ký hộ kinh doanh",
        "Tạm ngừng hoạt động hộ kinh doanh", "Chấm dứt hoạt động hộ kinh doanh")),
    (2, "commune", "Bảo trợ xã hội", 7, 0, 0.0, False, "Quyết định", 6, (
        "Trợ cấp xã hội hằng tháng đối với đối tượng bảo trợ xã hội",
        "Hỗ trợ chi phí mai táng cho đối tượng bảo trợ xã hội",
        "Xác định, xác định lại mức độ khuyết tật và cấp Giấy xác nhận khuyết tật",
        "Công nhận hộ nghèo, hộ cận nghèo phát sinh trong năm")),
    (6, "commune", "Người có công", 10, 0, 0.0, False, "Quyết định", 2, (
        "Cấp giấy giới thiệu đi thăm viếng mộ liệt sĩ", "Hưởng mai táng phí, trợ cấp một lần khi người có công từ trần",
        "Hỗ trợ sửa chữa, cải tạo nhà ở đối với người có công")),
    (6, "commune", "Thi đua, khen thưởng", 10, 0, 0.3, False, "Quyết định khen thưởng", 1, (
        "Tặng Giấy khen của Chủ tịch UBND cấp xã", "Xét tặng danh hiệu Gia đình văn hóa")),
    (4, "commune", "Giáo dục và đào tạo", 10, 0, 0.1, False, "Quyết định", 2, (
        "Cho phép trường mầm non, nhóm trẻ độc lập hoạt động giáo dục", "Chuyển trường đối với học sinh trung học cơ sở",
        "Xét, duyệt chính sách hỗ trợ học sinh bán trú")),
    (11, "commune", "Văn hóa cơ sở", 5, 1, 0.3, False, "Văn bản chấp thuận", 1, (
        "Thông báo tổ chức lễ hội cấp xã", "Đăng ký tổ chức hoạt động karaoke, vũ trường")),
    (10, "commune", "Nông nghiệp", 5, 0, 0.1, False, "Quyết định hỗ trợ", 1, (
        "Hỗ trợ khôi phục sản xuất vùng bị thiệt hại do thiên tai", "Phê duyệt kế hoạch khuyến nông địa phương")),
    (5, "commune", "Tín ngưỡng, tôn giáo", 20, 0, 0.5, False, "Văn bản chấp thuận", 1, (
        "Đăng ký sinh hoạt tôn giáo tập trung", "Thông báo danh mục hoạt động tôn giáo hằng năm")),
    (7, "commune", "Hòa giải ở cơ sở", 5, 0, 0.0, False, "Quyết định", 1, (
        "Công nhận hòa giải viên", "Thực hiện hỗ trợ khi hòa giải viên gặp tai nạn hoặc rủi ro")),
)

# Procedures with no legal duration: a notification is acknowledged, not decided; reception of citizens and the
# handling of letters have no promised date. Their dossiers are written with an empty NgayHenTra.
NO_DUE_PREFIXES = ("Thông báo", "Trình báo", "Tiếp công dân", "Xử lý đơn thư", "Tiếp nhận yêu cầu giải trình",
                   "Tiếp nhận, xử lý phản ánh")
VERBS_ALL = ("Cấp", "Cấp lại", "Điều chỉnh", "Gia hạn")
VERBS_TWO = ("Cấp", "Cấp lại")

# P8: Decision 2463/QĐ-UBND of 21/7/2025 approved 205 boundary-free procedures; 23 more are pending from 5 agencies.
BOUNDARY_FREE_APPROVED = 205
BOUNDARY_FREE_PENDING = 23
PENDING_AGENCIES = 5

# The report of 08/08/2025 (DATA_WORLD §1): the figures themselves, an input of the reconciliation.
AS_OF_LABEL = "2025-08-06 16:00:00"
PUBLISHED_FIGURES: tuple[tuple[str, str, str, str, str, str], ...] = (
    ("P1_ratio", "P1", "Tỷ lệ nộp hồ sơ trực tuyến (toàn tỉnh)", "online_ratio", "72.35", "percent"),
    ("P1_received", "P1", "Tổng số hồ sơ tiếp nhận", "received", "310903", "count"),
    ("P1_online", "P1", "Số hồ sơ nộp trực tuyến", "online", "224930", "count"),
    ("P1_returned", "P1", "Số hồ sơ đã trả", "returned", "252648", "count"),
    ("P2_rank", "P2", "Xếp hạng tỷ lệ nộp hồ sơ trực tuyến trong 34 tỉnh, thành phố", "online_ratio_rank", "20", "rank"),
    ("P2_rank_change", "P2", "Tăng bậc so với ngày 22/07/2025", "online_ratio_rank_change", "5", "rank"),
    ("P3_received", "P3", "Toàn tỉnh: số hồ sơ trên Cổng Dịch vụ công quốc gia", "received", "171300", "count"),
    ("P3_online", "P3", "Toàn tỉnh: số hồ sơ trực tuyến", "online", "124952", "count"),
    ("P3_ratio", "P3", "Toàn tỉnh: tỷ lệ hồ sơ trực tuyến", "online_ratio", "72.94", "percent"),
    ("P4_received", "P4", "Cấp xã: số hồ sơ trên Cổng Dịch vụ công quốc gia", "received", "139603", "count"),
    ("P4_online", "P4", "Cấp xã: số hồ sơ trực tuyến", "online", "99978", "count"),
    ("P4_ratio", "P4", "Cấp xã: tỷ lệ hồ sơ trực tuyến", "online_ratio", "80.01", "percent"),
    ("P5_done_16", "P5", "Số xã hoàn thành 16/16 nhiệm vụ", "communes_done_16", "69", "count"),
    ("P5_done_15", "P5", "Số xã hoàn thành 15/16 nhiệm vụ", "communes_done_15", "10", "count"),
    ("P5_done_14", "P5", "Số xã hoàn thành 14/16 nhiệm vụ", "communes_done_14", "25", "count"),
    ("P5_done_13", "P5", "Số xã hoàn thành 13/16 nhiệm vụ", "communes_done_13", "21", "count"),
    ("P5_done_12", "P5", "Số xã hoàn thành 12/16 nhiệm vụ", "communes_done_12", "5", "count"),
    ("P5_below_70pct", "P5", "Số xã hoàn thành dưới 70% nhiệm vụ", "communes_below_70pct", "0", "count"),
    ("P6_rank", "P6", "Xếp hạng tiến độ thực hiện nhiệm vụ cấp xã trong 34 tỉnh, thành phố", "commune_task_rank", "20", "rank"),
    ("P6_rank_change", "P6", "Tăng bậc so với ngày 22/07/2025", "commune_task_rank_change", "2", "rank"),
    ("P7_total", "P7", "Tổng số nhiệm vụ cấp tỉnh", "province_tasks", "23", "count"),
    ("P7_done", "P7", "Số nhiệm vụ đã hoàn thành", "province_tasks_done", "14", "count"),
    ("P7_in_progress", "P7", "Số nhiệm vụ đang thực hiện, trong hạn", "province_tasks_in_progress", "9", "count"),
    ("P8_procedures", "P8", "Số TTHC không phụ thuộc địa giới hành chính (Quyết định 2463/QĐ-UBND ngày 21/7/2025)",
     "boundary_free_procedures", "205", "count"),
    ("P8_pending", "P8", "Số TTHC không phụ thuộc địa giới hành chính chờ công bố (5 sở, ngành)",
     "boundary_free_pending", "23", "count"),
    ("P9_lookups", "P9", "Lượt tra cứu kho dữ liệu điện tử của tổ chức, cá nhân", "e_document_lookups", "1128038", "count"),
)


@dataclass
class Units:
    """All units, home province first, one entry per unit in the order of units.csv."""

    code: list[str]
    name: list[str]
    level: list[str]  # commune | province
    kind: list[str]  # xã | phường | sở | ngành
    e_id: list[str]
    province_code: list[str]
    province_name: list[str]
    province_idx: np.ndarray  # 0 = home
    agency_nn: np.ndarray  # 1..20 for agencies, 0 for communes
    highland: np.ndarray  # bool: highland commune (smaller, less online)
    place: list[str]  # the commune's own name, used in addresses (agencies: "")

    def __len__(self) -> int:
        return len(self.code)


def province_display(code: int, name: str) -> str:
    if code == int(HOME):
        return HOME_NAME
    return name if name.startswith("Thành phố") else f"Tỉnh {name}"


def other_provinces() -> list[tuple[str, str, list[tuple[str, str, str]]]]:
    """The 33 other provinces, in code order: (code, display name, [(ward code, ward name, kind)])."""
    out = []
    for p in sorted(Province.iter_all(), key=lambda p: int(p.code)):
        code = int(p.code)
        if code == int(HOME):
            continue
        wards = []
        for w in sorted(Ward.iter_by_province(p.code), key=lambda w: int(w.code)):
            kind = "phường" if w.division_type.value == "phường" else "xã"  # đặc khu (island) counts as a xã
            wards.append((f"{int(w.code):05d}", w.name, kind))
        out.append((f"{code:02d}", province_display(code, p.name), wards))
    return out


def all_province_names() -> list[tuple[str, str]]:
    """(code, display name) of the 34 provinces in code order, for the national snapshot."""
    return [(f"{int(p.code):02d}", province_display(int(p.code), p.name))
            for p in sorted(Province.iter_all(), key=lambda p: int(p.code))]


def build_units(provinces: int, rng: np.random.Generator) -> Units:
    """Home province (official commune codes) plus `provinces` synthetic ones; highland flags for synthetic
    provinces are drawn (a third of their xã)."""
    others = other_provinces()
    if not 0 <= provinces <= len(others):
        raise ValueError(f"provinces must be between 0 and {len(others)}, got {provinces}")
    cols: dict[str, list] = {k: [] for k in ("code", "name", "level", "kind", "e_id", "pc", "pn", "pi", "nn", "hl", "place")}

    def add(code, name, level, kind, e_id, pc, pn, pi, nn, hl, place):
        for k, v in zip(cols, (code, name, level, kind, e_id, pc, pn, pi, nn, hl, place)):
            cols[k].append(v)

    provs = [(HOME, HOME_NAME, [(ma, name, kind) for _, ma, name, kind in COMMUNES])] + others[:provinces]
    for pi, (pc, pn, wards) in enumerate(provs):
        suffix = "" if pi == 0 else f", {pn}"  # unit names are matched by name: keep them unique nationally
        for nn, name, kind, _, _ in AGENCIES:
            add(f"{pc}S{nn:02d}", name + suffix, "province", kind, f"000.00.{nn:02d}.H{pc}", pc, pn, pi, nn, False, "")
        highland = (np.array([ma in HIGHLAND for ma, _, _ in wards]) if pi == 0
                    else (rng.random(len(wards)) < 0.33) & np.array([k == "xã" for _, _, k in wards]))
        for j, (ma, name, kind) in enumerate(wards):
            add(ma, name + suffix, "commune", kind, f"000.{10 + j // 100:02d}.{j % 100:02d}.H{pc}", pc, pn, pi, 0,
                bool(highland[j]), name)
    if len(set(cols["name"])) != len(cols["name"]) or len(set(cols["code"])) != len(cols["code"]):
        raise AssertionError("unit names and codes must be unique")
    return Units(cols["code"], cols["name"], cols["level"], cols["kind"], cols["e_id"], cols["pc"], cols["pn"],
                 np.asarray(cols["pi"], dtype=np.int32), np.asarray(cols["nn"], dtype=np.int32),
                 np.asarray(cols["hl"], dtype=bool), cols["place"])


@dataclass
class Catalogue:
    """The procedures catalogue, one entry per procedure (the order of procedures.csv)."""

    code: list[str]
    name: list[str]
    field_code: list[str]
    field_name: list[str]
    level: list[str]
    muc_do: np.ndarray
    boundary_free: np.ndarray  # 0/1
    boundary_status: list[str]  # "" | approved | pending
    owner_nn: np.ndarray
    days: np.ndarray  # legal duration, working days (0.5 = within the day)
    fees: np.ndarray  # number of fee items (0..2)
    org_share: np.ndarray  # share of organisations among applicants
    financial: np.ndarray  # bool: may wait on a financial obligation (status 6)
    result: list[str]  # name of the result document
    weight: np.ndarray  # popularity within its unit's catalogue
    no_due: np.ndarray  # bool: no legal duration (notifications, citizen reception): dossiers carry no due date

    def __len__(self) -> int:
        return len(self.code)

    def owner_code(self, i: int) -> str:
        return f"{HOME}S{int(self.owner_nn[i]):02d}"


def _expand(item: str) -> list[str]:
    if item[0] in "*+":
        verbs = VERBS_ALL if item[0] == "*" else VERBS_TWO
        return [f"{v} {item[1:]}" for v in verbs]
    return [item]


def build_catalogue(rng: np.random.Generator) -> Catalogue:
    rows = []
    field_seq: dict[tuple[int, str], int] = {}
    for nn, level, fname, days, fees, org, fin, result, fweight, items in FIELDS:
        key = (nn, level)
        field_seq[key] = field_seq.get(key, 0) + 1
        prefix = "LV" if level == "province" else "LVX"
        fcode = f"{prefix}.{nn:02d}.{field_seq[key]:02d}"
        names = [n for it in items for n in _expand(it)]
        # Zipf within the field: the first-listed procedures are the common ones.
        w = fweight / np.arange(1, len(names) + 1) ** 1.1
        w = w / w.sum() * fweight
        for j, n in enumerate(names):
            rows.append((n, fcode, fname, level, nn, days, fees, org, fin, result, float(w[j])))
    n = len(rows)
    level = [r[3] for r in rows]
    # Procedure codes look like the national catalogue's: 1.xxxxxx (province level), 2.xxxxxx (commune level).
    numbers = rng.choice(np.arange(100, 14000), size=n, replace=False)
    code = [f"{1 if lv == 'province' else 2}.{int(x):06d}" for lv, x in zip(level, numbers)]
    # Service level: mostly fully or partly online; the common commune procedures are at least partly online.
    muc_do = rng.choice(np.array([2, 3, 4]), size=n, p=[0.14, 0.30, 0.56]).astype(np.int8)
    weight = np.asarray([r[10] for r in rows])
    for unit_rows in _unit_groups(rows):
        top = max(unit_rows, key=lambda i: weight[i])
        muc_do[top] = max(muc_do[top], 3)  # every unit can receive online dossiers
    for i, r in enumerate(rows):
        if r[3] == "commune" and weight[i] > 3:
            muc_do[i] = 4
    boundary_free = np.zeros(n, dtype=np.int8)
    status = [""] * n
    approved = rng.choice(n, size=BOUNDARY_FREE_APPROVED, replace=False)
    boundary_free[approved] = 1
    for i in approved:
        status[i] = "approved"
    owner = np.asarray([r[4] for r in rows], dtype=np.int32)
    free_left = {nn: [i for i in range(n) if owner[i] == nn and level[i] == "province" and not boundary_free[i]]
                 for nn, *_ in AGENCIES}
    eligible = sorted(nn for nn, ids in free_left.items() if len(ids) >= 7)
    pending_agencies = sorted(rng.choice(eligible, size=PENDING_AGENCIES, replace=False).tolist())
    split = [7, 5, 4, 4, 3]  # 23 over 5 agencies
    for nn, k in zip(pending_agencies, split):
        for i in rng.choice(free_left[nn], size=k, replace=False):
            boundary_free[i] = 1
            status[i] = "pending"
    order = sorted(range(n), key=lambda i: (level[i] != "province", owner[i], rows[i][1], code[i]))
    pick = lambda seq: [seq[i] for i in order]  # noqa: E731
    arr = lambda a: np.asarray(a)[order]  # noqa: E731
    return Catalogue(
        code=pick(code), name=pick([r[0] for r in rows]), field_code=pick([r[1] for r in rows]),
        field_name=pick([r[2] for r in rows]), level=pick(level), muc_do=arr(muc_do),
        boundary_free=arr(boundary_free), boundary_status=pick(status), owner_nn=arr(owner),
        days=arr([float(r[5]) for r in rows]), fees=arr([r[6] for r in rows]).astype(np.int8),
        org_share=arr([r[7] for r in rows]), financial=arr([r[8] for r in rows]).astype(bool),
        result=pick([r[9] for r in rows]), weight=arr(weight),
        no_due=arr([r[0].startswith(NO_DUE_PREFIXES) for r in rows]).astype(bool),
    )


def _unit_groups(rows) -> list[list[int]]:
    groups: dict[tuple, list[int]] = {}
    for i, r in enumerate(rows):
        groups.setdefault((r[3], r[4] if r[3] == "province" else 0), []).append(i)
    return list(groups.values())


def write_csv(path: Path, header: list[str], rows: list[list]) -> int:
    """A CSV of the landing folder: UTF-8 with BOM, comma separated, quoted where needed, '\\n' line ends."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", encoding="utf-8-sig", newline="") as f:
        w = csv.writer(f, lineterminator="\n")
        w.writerow(header)
        w.writerows(rows)
    return len(rows)


def write_reference(out: Path, units: Units, cat: Catalogue) -> dict[str, int]:
    """reference/units.csv, procedures.csv, published_figures.csv; returns records per relative path."""
    counts = {}
    counts["reference/units.csv"] = write_csv(
        out / "reference/units.csv",
        ["unit_code", "unit_name", "level", "unit_kind", "e_identifier", "province_code", "province_name"],
        [[units.code[i], units.name[i], units.level[i], units.kind[i], units.e_id[i], units.province_code[i],
          units.province_name[i]] for i in range(len(units))])
    counts["reference/procedures.csv"] = write_csv(
        out / "reference/procedures.csv",
        ["procedure_code", "procedure_name", "field_code", "field_name", "level", "muc_do", "boundary_free",
         "boundary_free_status", "owner_unit_code"],
        [[cat.code[i], cat.name[i], cat.field_code[i], cat.field_name[i], cat.level[i], int(cat.muc_do[i]),
          int(cat.boundary_free[i]), cat.boundary_status[i], cat.owner_code(i)] for i in range(len(cat))])
    counts["reference/published_figures.csv"] = write_csv(
        out / "reference/published_figures.csv",
        ["figure_id", "report_ref", "label_vi", "metric", "value", "unit", "as_of"],
        [[*row, AS_OF_LABEL] for row in PUBLISHED_FIGURES])
    return counts
