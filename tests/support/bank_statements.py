"""Bank statement CSV files as Japanese internet banking exports them."""
import csv
import io

HEADER = ("取引日", "摘要", "お支払金額", "お預り金額", "差引残高")


def statement(lines, *, encoding="cp932", header=HEADER, balance=1_000_000):
    """A statement of `lines`: (date as the bank writes it, 摘要, deposit, withdrawal).

    A few lines about the account come first, as most banks put them; amounts
    have thousands separators and a running balance is added.
    """
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(["照会口座", "普通 1234567"])
    writer.writerow(["照会期間", f"{lines[0][0]}～{lines[-1][0]}"])
    writer.writerow([])
    writer.writerow(header)
    for day, description, deposit, withdrawal in lines:
        balance += (deposit or 0) - (withdrawal or 0)
        writer.writerow([day, description, f"{withdrawal:,}" if withdrawal else "",
                         f"{deposit:,}" if deposit else "", f"{balance:,}"])
    return out.getvalue().encode(encoding)
