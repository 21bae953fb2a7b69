"""Build the client fixture ``data/clients/cdnow/``: the CDNOW purchases exported as a Finnish client would.

Usage: ``python tools/make_client_fixtures.py [FOLDER]`` (default ``data/clients/cdnow``).

The 69,659 purchase records of ``data/real/cdnow/CDNOW_master.txt`` (read by
``helpers.data.load_cdnow("master")``) are written the way a Finnish Windows
Excel "CSV (;)" export writes them: cp1252, ``;`` separators, CRLF line ends,
decimal commas with no-break spaces between thousands, ``dd.mm.yyyy`` dates,
Finnish headers, two columns the course does not use (``Toimitustapa``,
``Huomautus``, one of whose notes holds a quoted ``;``), a blank ``;;;;;`` row
in the middle and a ``Yhteensä`` total row at the end. Beside it: a minimal
register (customer number and sign-up date = first purchase), an ``.xlsx``
copy of the order lines with a title row above the header (dates as Excel date
cells, ids as text cells), and a ``company.toml`` for each (the CSV one and
``company_excel.toml``). The amounts are CDNOW's dollars, written as euros.
The CSV files are byte-identical on every run.
"""

from __future__ import annotations

import sys
from datetime import datetime
from pathlib import Path

import pandas as pd

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
from helpers.data import load_cdnow  # noqa: E402

FOLDER = ROOT / "data" / "clients" / "cdnow"
NBSP = "\u00a0"
HEADER = ["Asiakasnro", "Tilauspäivä", "Kpl", "Summa €", "Toimitustapa", "Huomautus"]
BLANK_AFTER = 1000  # the blank ';;;;;' row follows this data row
DELIVERY = ["Posti", "Nouto", "Posti", "Kotiinkuljetus"]

COMPANY = """\
# CDNOW's purchases (data/real/cdnow/CDNOW_master.txt) exported as a Finnish client would
# (built by tools/make_client_fixtures.py). Encoding, separator, decimal mark and date format
# are left for the intake to detect.

[company]
name = "CDNOW (asiakasesimerkki)"
observation_end = "30.06.1998"   # the last purchase day of the data
extraction_date = "01.07.1998"   # ASSUMED for the example: exported the next day
margin_rate = 0.30               # ASSUMED for the example: the orders carry no margin
{orders}
[tables.orders.columns]
"Asiakasnro" = "customer_id"
"Tilauspäivä" = "timestamp"
"Kpl" = "quantity"
"Summa €" = "amount"

[tables.customers]
file = "asiakkaat.csv"

[tables.customers.columns]
"Asiakasnro" = "customer_id"
"Liittymispäivä" = "signup_date"
"""
ORDERS_CSV = '\n[tables.orders]\nfile = "tilausrivit.csv"\n'
ORDERS_XLSX = '\n[tables.orders]\nfile = "tilausrivit.xlsx"\nsheet = "Tilausrivit"\nheader_row = 3\n'


def euros(value: float) -> str:
    """``1234.5`` -> ``1 234,50`` (no-break space between thousands, decimal comma)."""
    return f"{value:,.2f}".replace(",", NBSP).replace(".", ",")


def order_lines(cdnow: pd.DataFrame) -> pd.DataFrame:
    """The purchases under the client's headers, with the two columns the course does not use."""
    n = len(cdnow)
    notes = pd.Series([""] * n)
    notes[notes.index % 397 == 5] = "Lahjapaketti"
    notes[notes.index % 1999 == 11] = "Soita ennen; ovikoodi 1234"  # a ';' inside a quoted field
    return pd.DataFrame({
        "Asiakasnro": cdnow["customer_id"], "Tilauspäivä": cdnow["date"], "Kpl": cdnow["quantity"],
        "Summa €": cdnow["amount"], "Toimitustapa": [DELIVERY[i % len(DELIVERY)] for i in range(n)],
        "Huomautus": notes,
    })


def write_csv(lines: pd.DataFrame, path: Path) -> None:
    text = lines.assign(**{"Tilauspäivä": lines["Tilauspäivä"].dt.strftime("%d.%m.%Y"),
                           "Summa €": lines["Summa €"].map(euros), "Kpl": lines["Kpl"].astype(str)})
    rows = [";".join(HEADER)]
    for i, row in enumerate(text.itertuples(index=False), start=1):
        rows.append(";".join(f'"{v}"' if ";" in v else v for v in row))
        if i == BLANK_AFTER:
            rows.append(";" * (len(HEADER) - 1))
    rows.append(f"Yhteensä;;{lines['Kpl'].sum():,}".replace(",", NBSP) + f";{euros(lines['Summa €'].sum())};;")
    path.write_bytes(("\r\n".join(rows) + "\r\n").encode("cp1252"))


def write_register(lines: pd.DataFrame, path: Path) -> None:
    first = lines.groupby("Asiakasnro")["Tilauspäivä"].min().dt.strftime("%d.%m.%Y")
    rows = ["Asiakasnro;Liittymispäivä"] + [f"{c};{d}" for c, d in first.items()]
    path.write_bytes(("\r\n".join(rows) + "\r\n").encode("cp1252"))


def write_xlsx(lines: pd.DataFrame, path: Path) -> None:
    from openpyxl import Workbook

    book = Workbook()  # shared strings, as Excel writes them
    book.properties.created = book.properties.modified = datetime(1998, 7, 1)
    sheet = book.active
    sheet.title = "Tilausrivit"
    sheet.append(["CDNOW – tilausrivit 1.1.1997–30.6.1998"])
    sheet.append([])
    sheet.append(HEADER)
    for row in lines.itertuples(index=False):
        sheet.append([row[0], row[1].to_pydatetime(), int(row[2]), float(row[3]), row[4], row[5] or None])
    sheet.append(["Yhteensä", None, int(lines["Kpl"].sum()), round(float(lines["Summa €"].sum()), 2)])
    book.save(path)


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    folder = Path(argv[0]) if argv else FOLDER
    folder.mkdir(parents=True, exist_ok=True)
    lines = order_lines(load_cdnow("master"))
    write_csv(lines, folder / "tilausrivit.csv")
    write_register(lines, folder / "asiakkaat.csv")
    write_xlsx(lines, folder / "tilausrivit.xlsx")
    (folder / "company.toml").write_text(COMPANY.format(orders=ORDERS_CSV), encoding="utf-8")
    (folder / "company_excel.toml").write_text(COMPANY.format(orders=ORDERS_XLSX), encoding="utf-8")
    for path in sorted(folder.iterdir()):
        print(f"{path.relative_to(folder)}: {path.stat().st_size / 1e6:.2f} MB")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
