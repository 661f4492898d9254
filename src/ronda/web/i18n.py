"""Console text in Indonesian and English.

Templates write English phrases through ``t()``; this table gives the
Indonesian. A test reads every template and fails on a phrase missing here,
so no console text goes untranslated.
"""

from __future__ import annotations

LANGUAGES = ("id", "en")

ID: dict[str, str] = {
    # layout and auth
    "Takedown desk": "Meja pemutusan akses",
    "Log in": "Masuk",
    "Log out": "Keluar",
    "E-mail": "Surel",
    "Password": "Kata sandi",
    "Language": "Bahasa",
    "Something went wrong": "Terjadi kesalahan",
    "Back": "Kembali",
    "For authorities": "Untuk instansi",
    "Portal": "Portal",
    "Desk": "Meja kerja",
    "Due items": "Tautan jatuh tempo",
    # orders
    "Tracking number": "Nomor pelacakan",
    "Authority": "Instansi",
    "Letter number": "Nomor surat",
    "Legal basis": "Dasar hukum",
    "Urgent": "Mendesak",
    "Normal": "Biasa",
    "Urgency": "Sifat",
    "Received": "Diterima",
    "Deadline": "Batas waktu",
    "Time left": "Sisa waktu",
    "overdue": "terlambat",
    "Status": "Status",
    "Items": "Tautan",
    "Item": "Tautan",
    "Kind": "Jenis",
    "Outcome": "Hasil",
    "Reason": "Alasan",
    "Channel": "Saluran",
    "Subject": "Perihal",
    "Follow-ups": "Tindak lanjut",
    "Not readable": "Tidak terbaca",
    "History": "Riwayat",
    "When": "Waktu",
    "Who": "Oleh",
    "What": "Peristiwa",
    "Orders": "Permintaan",
    "Your orders": "Permintaan Anda",
    "No orders yet.": "Belum ada permintaan.",
    "Send a new order": "Kirim permintaan baru",
    "New order": "Permintaan baru",
    "Links or text": "Tautan atau teks",
    "One link per line, or paste the letter's text.": "Satu tautan per baris, atau tempel isi surat.",
    "Attachment (CSV, XLSX, PDF, TXT)": "Lampiran (CSV, XLSX, PDF, TXT)",
    "Mark as urgent (terrorism, child abuse, public order)": "Tandai mendesak (terorisme, kekerasan seksual anak, ketertiban umum)",
    "Send": "Kirim",
    "Order received": "Permintaan diterima",
    "Final report": "Laporan akhir",
    "Quarantine": "Karantina",
    "Quarantined orders": "Permintaan dikarantina",
    "Open orders": "Permintaan terbuka",
    "Closed orders": "Permintaan selesai",
    "Failed intake": "Masukan gagal diproses",
    "Assign to authority": "Tetapkan ke instansi",
    "Assign": "Tetapkan",
    "Reject": "Tolak",
    "Save": "Simpan",
    "Change urgency": "Ubah sifat",
    "Set outcome": "Tetapkan hasil",
    "pending": "dalam proses",
    "actioned": "telah ditindak",
    "no_violation": "tidak melanggar",
    "not_found": "tidak ditemukan",
    "already_removed": "sudah dihapus",
    "rejected": "ditolak",
    "open": "terbuka",
    "closed": "selesai",
    "quarantined": "dikarantina",
    "Nothing here.": "Tidak ada.",
    "Input": "Masukan",
    "Error": "Galat",
    "Re-parse": "Proses ulang",
    "All orders": "Semua permintaan",
    # public page for authorities
    "How to send a takedown order": "Cara mengirim permintaan pemutusan akses",
    "This desk handles orders from registered authorities to block access to, or remove, public channels, groups, posts and invite links.":
        "Meja ini menangani permintaan dari instansi terdaftar untuk memutus akses atau menghapus kanal, grup, unggahan, dan tautan undangan publik.",
    "By e-mail": "Melalui surel",
    "Send the official letter to": "Kirim surat resmi ke",
    "from an address registered for your authority. Mail from other addresses is held for checking and is not acted on until a lead confirms it.":
        "dari alamat yang terdaftar untuk instansi Anda. Surel dari alamat lain ditahan untuk diperiksa dan tidak ditindak sebelum dikonfirmasi.",
    "Through the API": "Melalui API",
    "Send a POST request to": "Kirim permintaan POST ke",
    "with your authority's API key. The documentation is at": "dengan kunci API instansi Anda. Dokumentasinya ada di",
    "Through the portal": "Melalui portal",
    "Log in to the portal to type or upload an order and to follow its status.":
        "Masuk ke portal untuk mengetik atau mengunggah permintaan dan memantau statusnya.",
    "What an order must contain": "Isi permintaan",
    "the number of the official letter (nomor surat);": "nomor surat resmi;",
    "the legal basis (for example UU ITE Pasal 27 ayat (2));": "dasar hukum (misalnya UU ITE Pasal 27 ayat (2));",
    "the exact links: channel, post or invite links (t.me/...);": "tautan yang tepat: kanal, unggahan, atau tautan undangan (t.me/...);",
    "the reason, and screenshots where you have them;": "alasan, dan tangkapan layar bila ada;",
    "whether it is urgent (terrorism, child sexual abuse, public order).": "apakah mendesak (terorisme, kekerasan seksual anak, ketertiban umum).",
    "Deadlines we keep": "Batas waktu yang kami penuhi",
    "hours": "jam",
    "Every order gets a tracking number (TKD-YYYY-NNNNNN) and an acknowledgment at once, and a final report with the outcome of every link.":
        "Setiap permintaan langsung mendapat nomor pelacakan (TKD-YYYY-NNNNNN) dan tanda terima, serta laporan akhir berisi hasil tiap tautan.",
    "policy": "kebijakan",
}


def translate(text: str, lang: str) -> str:
    if lang == "id":
        return ID.get(text, text)
    return text
