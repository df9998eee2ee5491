/* What the pages say: agencies, titles, people and body text, in Vietnamese. */
#include "genscans.h"

#include <stdio.h>
#include <string.h>

#define N(a) ((int)(sizeof(a) / sizeof((a)[0])))

static const char *const field_names[GS_NFIELDS] = {
	"Hộ tịch", "Đất đai", "Xây dựng", "Đăng ký kinh doanh"};
static const char *const field_prefixes[GS_NFIELDS] = {"HT", "DD", "XD", "KD"};

const char *gs_field_name(int field)
{
	return field_names[field];
}

const char *gs_field_prefix(int field)
{
	return field_prefixes[field];
}

/* kind: 0 ward, 1 district, 2 city department, 3 district office. */
struct agency {
	int field, kind;
	const char *name, *line1, *line2, *place, *seal;
};

static const struct agency agencies[] = {
	{GS_HT, 0, "UBND phường Hải Châu I", "ỦY BAN NHÂN DÂN",
	 "PHƯỜNG HẢI CHÂU I", "Hải Châu",
	 "ỦY BAN NHÂN DÂN PHƯỜNG HẢI CHÂU I ★ Q. HẢI CHÂU ★"},
	{GS_HT, 0, "UBND phường Thạch Thang", "ỦY BAN NHÂN DÂN",
	 "PHƯỜNG THẠCH THANG", "Hải Châu",
	 "ỦY BAN NHÂN DÂN PHƯỜNG THẠCH THANG ★ Q. HẢI CHÂU ★"},
	{GS_HT, 0, "UBND phường An Khê", "ỦY BAN NHÂN DÂN", "PHƯỜNG AN KHÊ",
	 "Thanh Khê", "ỦY BAN NHÂN DÂN PHƯỜNG AN KHÊ ★ Q. THANH KHÊ ★"},
	{GS_HT, 0, "UBND phường Mân Thái", "ỦY BAN NHÂN DÂN", "PHƯỜNG MÂN THÁI",
	 "Sơn Trà", "ỦY BAN NHÂN DÂN PHƯỜNG MÂN THÁI ★ Q. SƠN TRÀ ★"},
	{GS_HT, 0, "UBND phường Khuê Mỹ", "ỦY BAN NHÂN DÂN", "PHƯỜNG KHUÊ MỸ",
	 "Ngũ Hành Sơn", "ỦY BAN NHÂN DÂN PHƯỜNG KHUÊ MỸ ★ Q. NGŨ HÀNH SƠN ★"},
	{GS_HT, 0, "UBND phường Hòa Khánh Bắc", "ỦY BAN NHÂN DÂN",
	 "PHƯỜNG HÒA KHÁNH BẮC", "Liên Chiểu",
	 "ỦY BAN NHÂN DÂN PHƯỜNG HÒA KHÁNH BẮC ★ Q. LIÊN CHIỂU ★"},
	{GS_DD, 2, "Sở Tài nguyên và Môi trường thành phố Đà Nẵng",
	 "UBND THÀNH PHỐ ĐÀ NẴNG", "SỞ TÀI NGUYÊN VÀ MÔI TRƯỜNG", "Đà Nẵng",
	 "SỞ TÀI NGUYÊN VÀ MÔI TRƯỜNG ★ THÀNH PHỐ ĐÀ NẴNG ★"},
	{GS_DD, 2, "Văn phòng Đăng ký đất đai thành phố Đà Nẵng",
	 "SỞ TÀI NGUYÊN VÀ MÔI TRƯỜNG", "VĂN PHÒNG ĐĂNG KÝ ĐẤT ĐAI", "Đà Nẵng",
	 "VĂN PHÒNG ĐĂNG KÝ ĐẤT ĐAI ★ THÀNH PHỐ ĐÀ NẴNG ★"},
	{GS_DD, 1, "UBND quận Sơn Trà", "ỦY BAN NHÂN DÂN", "QUẬN SƠN TRÀ",
	 "Sơn Trà", "ỦY BAN NHÂN DÂN QUẬN SƠN TRÀ ★ TP. ĐÀ NẴNG ★"},
	{GS_XD, 2, "Sở Xây dựng thành phố Đà Nẵng", "UBND THÀNH PHỐ ĐÀ NẴNG",
	 "SỞ XÂY DỰNG", "Đà Nẵng", "SỞ XÂY DỰNG ★ THÀNH PHỐ ĐÀ NẴNG ★"},
	{GS_XD, 1, "UBND quận Hải Châu", "ỦY BAN NHÂN DÂN", "QUẬN HẢI CHÂU",
	 "Hải Châu", "ỦY BAN NHÂN DÂN QUẬN HẢI CHÂU ★ TP. ĐÀ NẴNG ★"},
	{GS_XD, 1, "UBND quận Thanh Khê", "ỦY BAN NHÂN DÂN", "QUẬN THANH KHÊ",
	 "Thanh Khê", "ỦY BAN NHÂN DÂN QUẬN THANH KHÊ ★ TP. ĐÀ NẴNG ★"},
	{GS_KD, 2, "Sở Kế hoạch và Đầu tư thành phố Đà Nẵng",
	 "UBND THÀNH PHỐ ĐÀ NẴNG", "SỞ KẾ HOẠCH VÀ ĐẦU TƯ", "Đà Nẵng",
	 "SỞ KẾ HOẠCH VÀ ĐẦU TƯ ★ THÀNH PHỐ ĐÀ NẴNG ★"},
	{GS_KD, 3, "Phòng Tài chính - Kế hoạch quận Hải Châu",
	 "UBND QUẬN HẢI CHÂU", "PHÒNG TÀI CHÍNH - KẾ HOẠCH", "Hải Châu",
	 "PHÒNG TÀI CHÍNH - KẾ HOẠCH ★ QUẬN HẢI CHÂU ★"},
	{GS_KD, 3, "Phòng Tài chính - Kế hoạch quận Cẩm Lệ", "UBND QUẬN CẨM LỆ",
	 "PHÒNG TÀI CHÍNH - KẾ HOẠCH", "Cẩm Lệ",
	 "PHÒNG TÀI CHÍNH - KẾ HOẠCH ★ QUẬN CẨM LỆ ★"},
};

int gs_agency_pick(struct gs_rng *r, int field)
{
	int idx[N(agencies)], n = 0;

	for (int i = 0; i < N(agencies); i++)
		if (agencies[i].field == field)
			idx[n++] = i;
	return idx[gs_rng_int(r, 0, n - 1)];
}

const char *gs_agency_name(int a)
{
	return agencies[a].name;
}

const char *gs_agency_line1(int a)
{
	return agencies[a].line1;
}

const char *gs_agency_line2(int a)
{
	return agencies[a].line2;
}

const char *gs_agency_place(int a)
{
	return agencies[a].place;
}

const char *gs_agency_seal(int a)
{
	return agencies[a].seal;
}

/* line 0: on behalf of, line 1: the signer's post. */
const char *gs_agency_signer(int a, int line)
{
	static const char *const lines[4][2] = {
		{"TM. ỦY BAN NHÂN DÂN", "CHỦ TỊCH"},
		{"KT. CHỦ TỊCH", "PHÓ CHỦ TỊCH"},
		{"KT. GIÁM ĐỐC", "PHÓ GIÁM ĐỐC"},
		{"TRƯỞNG PHÒNG", ""},
	};
	const int k = agencies[a].kind;

	return lines[k][line];
}

struct title {
	int field;
	const char *name, *procedure, *suffix;
};

static const struct title titles[] = {
	{GS_HT, "Giấy khai sinh", "1.001193", ""},
	{GS_HT, "Giấy chứng nhận kết hôn", "1.000894", ""},
	{GS_HT, "Trích lục khai tử", "1.000656", "TLKT-BS"},
	{GS_DD,
	 "Giấy chứng nhận quyền sử dụng đất, quyền sở hữu nhà ở và tài sản "
	 "khác gắn liền với đất",
	 "1.004227", ""},
	{GS_DD, "Quyết định giao đất", "1.004230", "QĐ-UBND"},
	{GS_XD, "Giấy phép xây dựng", "1.009972", "GPXD"},
	{GS_XD, "Giấy phép sửa chữa, cải tạo công trình", "1.009974", "GPSC"},
	{GS_KD, "Giấy chứng nhận đăng ký hộ kinh doanh", "2.000575", ""},
	{GS_KD, "Giấy chứng nhận đăng ký doanh nghiệp", "1.001612", ""},
};

int gs_title_pick(struct gs_rng *r, int field)
{
	int idx[N(titles)], n = 0;

	for (int i = 0; i < N(titles); i++)
		if (titles[i].field == field)
			idx[n++] = i;
	/* The first title of a field is the common one. */
	return gs_rng_chance(r, 0.7) ? idx[0] : idx[gs_rng_int(r, 0, n - 1)];
}

const char *gs_title_name(int t)
{
	return titles[t].name;
}

const char *gs_title_procedure(int t)
{
	return titles[t].procedure;
}

const char *gs_title_suffix(int t)
{
	return titles[t].suffix;
}

void gs_record_number(const struct gs_record *rec, struct gs_rng *r, char *out,
		      size_t outlen)
{
	static const char *const series[] = {"CS", "DA", "CH", "BK"};
	const char *suffix = titles[rec->title].suffix;
	const int n = gs_rng_int(r, 1, 2400);

	if (rec->field == GS_DD && !suffix[0])
		snprintf(out, outlen, "%s %06d", series[gs_rng_int(r, 0, 3)],
			 gs_rng_int(r, 1000, 999999));
	else if (rec->field == GS_KD && rec->title == 7)
		snprintf(out, outlen, "32A8%06d", gs_rng_int(r, 1, 999999));
	else if (rec->field == GS_KD)
		snprintf(out, outlen, "0401%06d", gs_rng_int(r, 1, 999999));
	else if (suffix[0])
		snprintf(out, outlen, "%d/%s", n, suffix);
	else
		snprintf(out, outlen, "%d/%d", n, rec->year);
}

static const char *const family[] = {
	"Nguyễn", "Trần", "Lê",	 "Phạm", "Hoàng", "Huỳnh", "Phan",  "Vũ",
	"Võ",	  "Đặng", "Bùi", "Đỗ",	 "Hồ",	  "Ngô",   "Dương", "Lý"};
static const char *const middle_m[] = {"Văn",  "Hữu",	"Đức",	"Minh",
				       "Quốc", "Thanh", "Xuân", "Công"};
static const char *const middle_f[] = {"Thị",	"Ngọc", "Thu", "Minh",
				       "Thanh", "Kim",	"Mỹ",  "Hồng"};
static const char *const given_m[] = {
	"An",	"Bình", "Dũng", "Hải",	"Hiếu", "Hùng",	 "Long",  "Nam",
	"Phúc", "Quân", "Sơn",	"Tuấn", "Việt", "Khánh", "Trung", "Đạt"};
static const char *const given_f[] = {
	"Châu", "Hà",	 "Hạnh", "Hoa",	  "Lan",    "Linh", "Mai", "Nga",
	"Thảo", "Trang", "Yến",	 "Nhung", "Phương", "Thủy", "Ánh", "Uyên"};
static const char *const streets[] = {
	"Bạch Đằng",	     "Trần Phú",	"Lê Duẩn",
	"Hùng Vương",	     "Nguyễn Văn Linh", "Hoàng Diệu",
	"Ông Ích Khiêm",     "Điện Biên Phủ",	"Hàm Nghi",
	"Nguyễn Tri Phương", "Phan Châu Trinh", "Ngô Quyền",
	"Võ Nguyên Giáp",    "Trưng Nữ Vương",	"Núi Thành",
	"Tôn Đức Thắng"};
static const char *const wards[][2] = {
	{"Hải Châu I", "Hải Châu"},	 {"Thạch Thang", "Hải Châu"},
	{"Phước Ninh", "Hải Châu"},	 {"Bình Hiên", "Hải Châu"},
	{"An Khê", "Thanh Khê"},	 {"Chính Gián", "Thanh Khê"},
	{"Xuân Hà", "Thanh Khê"},	 {"Mân Thái", "Sơn Trà"},
	{"Phước Mỹ", "Sơn Trà"},	 {"Thọ Quang", "Sơn Trà"},
	{"Khuê Mỹ", "Ngũ Hành Sơn"},	 {"Mỹ An", "Ngũ Hành Sơn"},
	{"Hòa Khánh Bắc", "Liên Chiểu"}, {"Hòa An", "Cẩm Lệ"}};

#define PICK(r, a) ((a)[gs_rng_int((r), 0, N(a) - 1)])

static void make_name(struct gs_rng *r, int male, char *out, size_t n)
{
	snprintf(out, n, "%s %s %s", PICK(r, family),
		 male ? PICK(r, middle_m) : PICK(r, middle_f),
		 male ? PICK(r, given_m) : PICK(r, given_f));
}

static void make_address(struct gs_rng *r, char *out, size_t n)
{
	const int w = gs_rng_int(r, 0, N(wards) - 1);

	snprintf(out, n, "%d %s, phường %s, quận %s, thành phố Đà Nẵng",
		 gs_rng_int(r, 2, 480), PICK(r, streets), wards[w][0],
		 wards[w][1]);
}

void gs_facts_make(const struct gs_record *rec, struct gs_facts *f)
{
	struct gs_rng r;

	memset(f, 0, sizeof(*f));
	f->seed = gs_hash(rec->seed, 0xfac75);
	gs_rng_seed(&r, f->seed);
	f->male = gs_rng_chance(&r, 0.5);
	make_name(&r, f->male, f->person, sizeof(f->person));
	make_name(&r, !f->male, f->person2, sizeof(f->person2));
	make_name(&r, gs_rng_chance(&r, 0.7), f->signer, sizeof(f->signer));
	make_address(&r, f->address, sizeof(f->address));
	const int by = rec->field == GS_HT && rec->title == 0
			       ? rec->year
			       : gs_rng_int(&r, 1950, 2000);
	snprintf(f->birth, sizeof(f->birth), "%02d/%02d/%d",
		 gs_rng_int(&r, 1, 28), gs_rng_int(&r, 1, 12), by);
	snprintf(f->idnum, sizeof(f->idnum), "048%d%02d%06d",
		 (by >= 2000 ? 2 : 0) + !f->male, by % 100,
		 gs_rng_int(&r, 0, 999999));
}

/* Paragraphs to fill a page: legal bases and obligations, by field. */
static const struct {
	int field; /* -1: any */
	const char *text;
} paragraphs[] = {
	{-1, "Căn cứ Luật Tổ chức chính quyền địa phương ngày 19 tháng 6 năm "
	     "2015; Luật sửa đổi, bổ sung một số điều của Luật Tổ chức Chính "
	     "phủ và Luật Tổ chức chính quyền địa phương ngày 22 tháng 11 năm "
	     "2019;"},
	{-1, "Xét đề nghị của người yêu cầu và hồ sơ kèm theo, sau khi kiểm "
	     "tra thấy đầy đủ, hợp lệ theo quy định,"},
	{-1, "Văn bản này được lập thành 02 bản có giá trị pháp lý như nhau, "
	     "01 bản giao cho người yêu cầu, 01 bản lưu tại cơ quan cấp."},
	{-1, "Cơ quan cấp chịu trách nhiệm về tính chính xác của các thông tin "
	     "đã ghi trong văn bản này."},
	{GS_HT,
	 "Căn cứ Luật Hộ tịch ngày 20 tháng 11 năm 2014 và Nghị định số "
	 "123/2015/NĐ-CP ngày 15 tháng 11 năm 2015 của Chính phủ quy "
	 "định chi tiết một số điều và biện pháp thi hành Luật Hộ tịch;"},
	{GS_HT, "Bản sao được cấp từ sổ gốc có giá trị sử dụng thay cho bản "
		"chính trong các giao dịch, trừ trường hợp pháp luật có quy "
		"định khác."},
	{GS_HT, "Thông tin trên đã được cập nhật vào Cơ sở dữ liệu hộ tịch "
		"điện tử và Cơ sở dữ liệu quốc gia về dân cư."},
	{GS_HT, "Người yêu cầu có trách nhiệm kiểm tra các thông tin trước khi "
		"ký vào Sổ đăng ký hộ tịch."},
	{GS_DD, "Căn cứ Luật Đất đai ngày 29 tháng 11 năm 2013 và Nghị định số "
		"43/2014/NĐ-CP ngày 15 tháng 5 năm 2014 của Chính phủ quy định "
		"chi tiết thi hành một số điều của Luật Đất đai;"},
	{GS_DD, "Người được cấp Giấy chứng nhận có trách nhiệm thực hiện đầy "
		"đủ các nghĩa vụ tài chính theo quy định của pháp luật và sử "
		"dụng đất đúng mục đích, đúng ranh giới thửa đất."},
	{GS_DD, "Những thay đổi sau khi cấp Giấy chứng nhận phải được cơ quan "
		"có thẩm quyền xác nhận vào trang bổ sung kèm theo Giấy chứng "
		"nhận này."},
	{GS_DD, "Ranh giới, mốc giới thửa đất được xác định theo bản trích đo "
		"địa chính do Văn phòng Đăng ký đất đai lập và đã được các chủ "
		"sử dụng đất liền kề ký xác nhận."},
	{GS_DD, "Khi chuyển nhượng, tặng cho, thế chấp quyền sử dụng đất, "
		"người sử dụng đất phải thực hiện thủ tục đăng ký biến động "
		"theo quy định."},
	{GS_XD, "Căn cứ Luật Xây dựng ngày 18 tháng 6 năm 2014; Luật sửa đổi, "
		"bổ sung một số điều của Luật Xây dựng ngày 17 tháng 6 năm "
		"2020;"},
	{GS_XD, "Chủ đầu tư phải thông báo cho cơ quan có thẩm quyền về ngày "
		"khởi công xây dựng và thực hiện đúng giấy phép được cấp; bảo "
		"đảm an toàn cho người, công trình và các công trình lân cận."},
	{GS_XD, "Phải thực hiện đúng thiết kế đã được thẩm định; không được "
		"xây dựng vượt quá chỉ giới xây dựng, không được lấn chiếm vỉa "
		"hè, lòng đường."},
	{GS_XD, "Trong quá trình thi công phải có biện pháp che chắn, bảo đảm "
		"vệ sinh môi trường, an toàn giao thông và không gây ảnh hưởng "
		"đến các công trình lân cận."},
	{GS_XD, "Khi cần thay đổi thiết kế thì phải đề nghị điều chỉnh giấy "
		"phép xây dựng và chờ quyết định của cơ quan cấp giấy phép."},
	{GS_KD, "Căn cứ Nghị định số 01/2021/NĐ-CP ngày 04 tháng 01 năm 2021 "
		"của Chính phủ về đăng ký doanh nghiệp;"},
	{GS_KD, "Hộ kinh doanh có trách nhiệm kê khai và nộp thuế đầy đủ, đúng "
		"hạn; thực hiện đúng ngành, nghề đã đăng ký và các quy định về "
		"an toàn thực phẩm, phòng cháy và chữa cháy."},
	{GS_KD, "Mọi sự thay đổi nội dung đã đăng ký phải được thông báo với "
		"cơ quan đăng ký trong thời hạn 10 ngày làm việc kể từ ngày có "
		"thay đổi."},
	{GS_KD, "Hộ kinh doanh phải treo biển hiệu tại địa điểm kinh doanh, "
		"ghi rõ tên hộ kinh doanh và mã số hộ kinh doanh theo quy "
		"định."},
	{GS_KD, "Giấy chứng nhận này có hiệu lực kể từ ngày cấp và thay thế "
		"cho các giấy chứng nhận đã cấp trước đây (nếu có)."},
};

#define ADD(...)                                                               \
	do {                                                                   \
		if (out->n < GS_MAX_LINES) {                                   \
			out->para[out->n] = 0;                                 \
			snprintf(out->text[out->n++], sizeof(out->text[0]),    \
				 __VA_ARGS__);                                 \
		}                                                              \
	} while (0)

static void lines_ht(const struct gs_record *rec, const struct gs_facts *f,
		     struct gs_rng *r, struct gs_lines *out)
{
	static const char *const places[] = {
		"Bệnh viện Phụ sản - Nhi Đà Nẵng", "Bệnh viện Đà Nẵng",
		"Bệnh viện C Đà Nẵng", "Trung tâm Y tế quận Liên Chiểu"};
	static const char *const homes[] = {"Quảng Nam", "Đà Nẵng",
					    "Thừa Thiên Huế", "Quảng Ngãi",
					    "Quảng Bình"};
	char up[128], up2[128], mother[64], father[64];

	gs_utf8_upper(f->person, up, sizeof(up));
	gs_utf8_upper(f->person2, up2, sizeof(up2));
	make_name(r, 0, mother, sizeof(mother));
	make_name(r, 1, father, sizeof(father));
	if (rec->title == 1) {
		ADD("Họ, chữ đệm, tên chồng: %s", f->male ? up : up2);
		ADD("Ngày, tháng, năm sinh: %s", f->birth);
		ADD("Dân tộc: Kinh        Quốc tịch: Việt Nam");
		ADD("Nơi cư trú: %s", f->address);
		ADD("Số định danh cá nhân: %s", f->idnum);
		ADD("Họ, chữ đệm, tên vợ: %s", f->male ? up2 : up);
		ADD("Ngày, tháng, năm sinh: %02d/%02d/%d", gs_rng_int(r, 1, 28),
		    gs_rng_int(r, 1, 12), gs_rng_int(r, 1960, 2001));
		ADD("Dân tộc: Kinh        Quốc tịch: Việt Nam");
		ADD("Nơi cư trú: %s", f->address);
		ADD("Đăng ký kết hôn ngày %02d tháng %02d năm %d", rec->day,
		    rec->month, rec->year);
		ADD("Số: %s, quyển số: 01/%d", rec->number, rec->year);
		return;
	}
	if (rec->title == 2) {
		ADD("Họ, chữ đệm, tên người đã chết: %s", up);
		ADD("Ngày, tháng, năm sinh: %s", f->birth);
		ADD("Giới tính: %s        Dân tộc: Kinh        Quốc tịch: Việt "
		    "Nam",
		    f->male ? "Nam" : "Nữ");
		ADD("Số định danh cá nhân: %s", f->idnum);
		ADD("Nơi cư trú cuối cùng: %s", f->address);
		ADD("Đã chết vào lúc: %d giờ %02d phút, ngày %02d/%02d/%d",
		    gs_rng_int(r, 0, 23), gs_rng_int(r, 0, 59), rec->day,
		    rec->month, rec->year);
		ADD("Nơi chết: %s", PICK(r, places));
		ADD("Nguyên nhân chết: Bệnh");
		ADD("Người đi khai tử: %s, quan hệ với người đã chết: Con",
		    f->person2);
		return;
	}
	ADD("Họ, chữ đệm, tên: %s", up);
	ADD("Ngày, tháng, năm sinh: %s", f->birth);
	ADD("Giới tính: %s        Dân tộc: Kinh        Quốc tịch: Việt Nam",
	    f->male ? "Nam" : "Nữ");
	ADD("Nơi sinh: %s", PICK(r, places));
	ADD("Quê quán: %s", PICK(r, homes));
	ADD("Số định danh cá nhân: %s", f->idnum);
	gs_utf8_upper(mother, up2, sizeof(up2));
	ADD("Họ, chữ đệm, tên người mẹ: %s", up2);
	ADD("Năm sinh: %d        Dân tộc: Kinh        Quốc tịch: Việt Nam",
	    gs_rng_int(r, 1980, 2002));
	ADD("Nơi cư trú: %s", f->address);
	gs_utf8_upper(father, up2, sizeof(up2));
	ADD("Họ, chữ đệm, tên người cha: %s", up2);
	ADD("Năm sinh: %d        Dân tộc: Kinh        Quốc tịch: Việt Nam",
	    gs_rng_int(r, 1978, 2000));
	ADD("Nơi cư trú: %s", f->address);
	ADD("Người đi khai sinh: %s, quan hệ với người được khai sinh: Mẹ",
	    mother);
	ADD("Nơi đăng ký khai sinh: %s", gs_agency_name(rec->agency));
	ADD("Ngày, tháng, năm đăng ký: %02d/%02d/%d", rec->day, rec->month,
	    rec->year);
}

static void lines_dd(const struct gs_record *rec, const struct gs_facts *f,
		     struct gs_rng *r, struct gs_lines *out)
{
	const int area = gs_rng_int(r, 450, 3200);
	const int built = area * gs_rng_int(r, 60, 90) / 100;

	if (rec->title == 4) {
		ADD("Điều 1. Giao cho %s %s, số định danh cá nhân %s, %d,%d m² "
		    "đất tại %s để sử dụng vào mục đích đất ở tại đô thị.",
		    f->male ? "ông" : "bà", f->person, f->idnum, area / 10,
		    area % 10, f->address);
		ADD("Hình thức giao đất: Giao đất có thu tiền sử dụng đất.");
		ADD("Thời hạn sử dụng đất: Lâu dài.");
		ADD("Vị trí, ranh giới khu đất được xác định theo trích lục "
		    "bản "
		    "đồ địa chính số %d/TLBĐ.",
		    gs_rng_int(r, 10, 999));
		ADD("Điều 2. Giao Phòng Tài nguyên và Môi trường chủ trì, phối "
		    "hợp với Ủy ban nhân dân phường thông báo cho người được "
		    "giao đất nộp tiền sử dụng đất, lệ phí trước bạ.");
		ADD("Điều 3. Quyết định này có hiệu lực kể từ ngày ký.");
		return;
	}
	ADD("I. Người sử dụng đất, chủ sở hữu nhà ở và tài sản khác gắn liền "
	    "với đất");
	ADD("%s: %s, sinh năm %s", f->male ? "Ông" : "Bà", f->person,
	    f->birth + 6);
	ADD("Số định danh cá nhân: %s", f->idnum);
	ADD("Địa chỉ thường trú: %s", f->address);
	ADD("II. Thửa đất, nhà ở và tài sản khác gắn liền với đất");
	ADD("1. Thửa đất:");
	ADD("a) Thửa đất số: %d;        b) Tờ bản đồ số: %d;",
	    gs_rng_int(r, 1, 480), gs_rng_int(r, 1, 95));
	ADD("c) Địa chỉ: %s;", f->address);
	ADD("d) Diện tích: %d,%d m²;", area / 10, area % 10);
	ADD("đ) Hình thức sử dụng: Sử dụng riêng: %d,%d m²; Sử dụng chung: "
	    "không m²;",
	    area / 10, area % 10);
	ADD("e) Mục đích sử dụng: Đất ở tại đô thị;");
	ADD("g) Thời hạn sử dụng: Lâu dài;");
	ADD("h) Nguồn gốc sử dụng: Nhà nước giao đất có thu tiền sử dụng đất;");
	ADD("2. Nhà ở: Nhà ở riêng lẻ;");
	ADD("a) Diện tích xây dựng: %d,%d m²;        b) Diện tích sàn: %d,%d "
	    "m²;",
	    built / 10, built % 10, built * 3 / 10, built * 3 % 10);
	ADD("c) Hình thức sở hữu: Sở hữu riêng;        d) Cấp (hạng): Cấp "
	    "III;");
	ADD("đ) Thời hạn được sở hữu: Lâu dài;");
	ADD("3. Công trình xây dựng khác: -/-");
	ADD("4. Ghi chú: -/-");
}

static void lines_xd(const struct gs_record *rec, const struct gs_facts *f,
		     struct gs_rng *r, struct gs_lines *out)
{
	static const char *const firms[] = {"Miền Trung", "Sông Hàn",
					    "Bạch Đằng", "Non Nước"};
	const int floors = gs_rng_int(r, 2, 6);
	const int area = gs_rng_int(r, 600, 1600);

	ADD("Cấp cho: %s %s", f->male ? "Ông" : "Bà", f->person);
	ADD("Địa chỉ: %s", f->address);
	ADD("Được phép %s công trình: Nhà ở riêng lẻ",
	    rec->title == 6 ? "sửa chữa, cải tạo" : "xây dựng");
	ADD("Theo thiết kế: Hồ sơ thiết kế do Công ty TNHH Tư vấn Thiết kế "
	    "Xây dựng %s lập",
	    PICK(r, firms));
	ADD("Chủ nhiệm thiết kế: %s, chứng chỉ hành nghề số: DAN-%05d",
	    f->signer, gs_rng_int(r, 1, 99999));
	ADD("Gồm các nội dung sau:");
	ADD("Vị trí xây dựng: Lô B%d-%d, Khu dân cư số %d, %s",
	    gs_rng_int(r, 1, 40), gs_rng_int(r, 1, 60), gs_rng_int(r, 1, 9),
	    strchr(f->address, ',') + 2);
	ADD("Cốt nền xây dựng công trình: +%d,%02d m so với cốt vỉa hè hoàn "
	    "thiện",
	    0, gs_rng_int(r, 15, 60));
	ADD("Mật độ xây dựng: %d%%; hệ số sử dụng đất: %d,%d lần",
	    gs_rng_int(r, 70, 100), floors - 1, gs_rng_int(r, 0, 9));
	ADD("Chỉ giới xây dựng: lùi %d,%d m so với chỉ giới đường đỏ",
	    gs_rng_int(r, 0, 5), gs_rng_int(r, 0, 9));
	ADD("Màu sắc công trình: Màu sáng, hài hòa với cảnh quan khu vực");
	ADD("Diện tích xây dựng tầng 1 (tầng trệt): %d,%d m²", area / 10,
	    area % 10);
	ADD("Tổng diện tích sàn: %d,%d m² (bao gồm cả tầng lửng và tum "
	    "thang)",
	    area * floors / 10, area * floors % 10);
	ADD("Chiều cao công trình: %d,%d m; số tầng: %d tầng", floors * 3 + 2,
	    gs_rng_int(r, 0, 9), floors);
	ADD("Giấy tờ về quyền sử dụng đất: Giấy chứng nhận số CS %06d do Sở "
	    "Tài nguyên và Môi trường cấp ngày %02d/%02d/%d",
	    gs_rng_int(r, 1000, 999999), gs_rng_int(r, 1, 28),
	    gs_rng_int(r, 1, 12), gs_rng_int(r, 2005, rec->year));
	ADD("Giấy phép này có hiệu lực khởi công xây dựng trong thời hạn 12 "
	    "tháng kể từ ngày cấp; quá thời hạn trên thì phải đề nghị gia hạn "
	    "giấy phép xây dựng.");
}

static void lines_kd(const struct gs_record *rec, const struct gs_facts *f,
		     struct gs_rng *r, struct gs_lines *out)
{
	static const char *const trades[] = {
		("Bán lẻ lương thực, thực phẩm, đồ uống trong các cửa hàng "
		 "chuyên doanh"),
		"Dịch vụ ăn uống (nhà hàng, quán ăn, hàng ăn uống)",
		"Bảo dưỡng, sửa chữa mô tô, xe máy",
		"Bán lẻ hàng may mặc, giày dép, hàng da và giả da",
		"Cắt tóc, làm đầu, gội đầu"};
	char up[128];

	gs_utf8_upper(f->person, up, sizeof(up));
	ADD("Mã số %s: %s", rec->title == 7 ? "hộ kinh doanh" : "doanh nghiệp",
	    rec->number);
	ADD("Đăng ký lần đầu: ngày %02d tháng %02d năm %d", rec->day,
	    rec->month, rec->year);
	if (rec->title == 7)
		ADD("1. Tên hộ kinh doanh: HỘ KINH DOANH %s", up);
	else
		ADD("1. Tên công ty viết bằng tiếng Việt: CÔNG TY TNHH MỘT "
		    "THÀNH VIÊN %s",
		    up);
	ADD("2. Địa điểm kinh doanh: %s", f->address);
	ADD("Điện thoại: 0905 %03d %03d        Email: (không có)",
	    gs_rng_int(r, 0, 999), gs_rng_int(r, 0, 999));
	ADD("3. Ngành, nghề kinh doanh: %s", PICK(r, trades));
	ADD("4. Vốn kinh doanh: %d.000.000 đồng", gs_rng_int(r, 30, 900));
	ADD("5. Số lượng lao động: %d người", gs_rng_int(r, 1, 9));
	ADD("6. Thông tin về chủ %s:",
	    rec->title == 7 ? "hộ kinh doanh" : "sở hữu");
	ADD("Họ và tên: %s        Giới tính: %s", up, f->male ? "Nam" : "Nữ");
	ADD("Sinh ngày: %s        Dân tộc: Kinh        Quốc tịch: Việt Nam",
	    f->birth);
	ADD("Số định danh cá nhân: %s", f->idnum);
	ADD("Nơi thường trú: %s", f->address);
	ADD("Chỗ ở hiện tại: %s", f->address);
}

void gs_body_lines(const struct gs_record *rec, const struct gs_facts *f,
		   int page, int first, struct gs_rng *r, struct gs_lines *out)
{
	out->n = 0;
	if (first) {
		/* The same facts on every scan of the record. */
		struct gs_rng fr;
		gs_rng_seed(&fr, gs_hash(f->seed, 1));
		switch (rec->field) {
		case GS_HT:
			lines_ht(rec, f, &fr, out);
			break;
		case GS_DD:
			lines_dd(rec, f, &fr, out);
			break;
		case GS_XD:
			lines_xd(rec, f, &fr, out);
			break;
		default:
			lines_kd(rec, f, &fr, out);
			break;
		}
	} else if (rec->field == GS_DD) {
		ADD("III. Sơ đồ thửa đất, nhà ở và tài sản khác gắn liền với "
		    "đất (trang %d)",
		    page);
		ADD("IV. Những thay đổi sau khi cấp Giấy chứng nhận:");
		ADD("Nội dung thay đổi và cơ sở pháp lý: -/-");
	} else {
		ADD("(Tiếp theo trang %d)", page - 1);
	}
	/* The field's paragraphs in a shuffled order, cycling. */
	int pool[N(paragraphs)], np = 0;
	for (int i = 0; i < N(paragraphs); i++)
		if (paragraphs[i].field < 0 ||
		    paragraphs[i].field == rec->field)
			pool[np++] = i;
	gs_rng_shuffle(r, pool, np);
	for (int k = 0; out->n < GS_MAX_LINES; k++) {
		ADD("%s", paragraphs[pool[k % np]].text);
		out->para[out->n - 1] = 1;
	}
}

void gs_table_make(const struct gs_record *rec, struct gs_rng *r,
		   struct gs_table *t)
{
	memset(t, 0, sizeof(*t));
	if (rec->field == GS_DD) {
		static const char *const head[] = {"Điểm", "X (m)", "Y (m)",
						   "Cạnh (m)"};
		t->cols = 4;
		t->rows = gs_rng_int(r, 5, 9);
		const double w[] = {0.14, 0.3, 0.3, 0.26};
		memcpy(t->colw, w, sizeof(w));
		for (int c = 0; c < 4; c++)
			snprintf(t->cell[0][c], 64, "%s", head[c]);
		for (int i = 1; i < t->rows; i++) {
			snprintf(t->cell[i][0], 64, "%d", i);
			snprintf(t->cell[i][1], 64, "1776%03d,%02d",
				 gs_rng_int(r, 0, 999), gs_rng_int(r, 0, 99));
			snprintf(t->cell[i][2], 64, "550%03d,%02d",
				 gs_rng_int(r, 0, 999), gs_rng_int(r, 0, 99));
			snprintf(t->cell[i][3], 64, "%d,%02d",
				 gs_rng_int(r, 3, 30), gs_rng_int(r, 0, 99));
		}
		return;
	}
	if (rec->field == GS_KD) {
		static const char *const head[] = {"STT", "Tên ngành",
						   "Mã ngành"};
		static const char *const names[][2] = {
			{"Bán lẻ đồ uống trong các cửa hàng chuyên doanh",
			 "4723"},
			{"Nhà hàng và các dịch vụ ăn uống phục vụ lưu động",
			 "5610"},
			{"Bán lẻ thực phẩm trong các cửa hàng chuyên doanh",
			 "4722"},
			{"Dịch vụ lưu trú ngắn ngày", "5510"},
			{"Bán buôn tổng hợp", "4690"}};
		t->cols = 3;
		t->rows = gs_rng_int(r, 3, 6);
		const double w[] = {0.1, 0.72, 0.18};
		memcpy(t->colw, w, sizeof(w));
		for (int c = 0; c < 3; c++)
			snprintf(t->cell[0][c], 64, "%s", head[c]);
		for (int i = 1; i < t->rows; i++) {
			snprintf(t->cell[i][0], 64, "%d", i);
			snprintf(t->cell[i][1], 64, "%s", names[i - 1][0]);
			snprintf(t->cell[i][2], 64, "%s", names[i - 1][1]);
		}
		return;
	}
	static const char *const head[] = {"Hạng mục", "Diện tích sàn (m²)",
					   "Chiều cao (m)", "Ghi chú"};
	t->cols = 4;
	t->rows = gs_rng_int(r, 3, 7);
	const double w[] = {0.28, 0.26, 0.2, 0.26};
	memcpy(t->colw, w, sizeof(w));
	for (int c = 0; c < 4; c++)
		snprintf(t->cell[0][c], 64, "%s", head[c]);
	for (int i = 1; i < t->rows; i++) {
		if (i == t->rows - 1)
			snprintf(t->cell[i][0], 64, "Tum thang");
		else
			snprintf(t->cell[i][0], 64, "Tầng %d", i);
		snprintf(t->cell[i][1], 64, "%d,%d", gs_rng_int(r, 20, 160),
			 gs_rng_int(r, 0, 9));
		snprintf(t->cell[i][2], 64, "%d,%d", gs_rng_int(r, 2, 4),
			 gs_rng_int(r, 0, 9));
		snprintf(t->cell[i][3], 64, "%s", i == 1 ? "Kinh doanh" : "Ở");
	}
}
