"""Build the client fixtures of ``data/clients/``: data exported as a Finnish client would hand it over.

Usage: ``python tools/make_client_fixtures.py`` builds both fixtures into ``data/clients/cdnow`` and
``data/clients/lumo``; ``python tools/make_client_fixtures.py [--fixture cdnow|lumo] FOLDER`` builds one
(CDNOW when ``--fixture`` is not given) into ``FOLDER``. Every file is byte-identical on every run.

**cdnow** (orders and a minimal register only):

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

**lumo** (every table of the course; a company that shares nothing with the
sample but its shape): the project's own generator (:mod:`helpers.synth`)
under another seed, 4 000 persons, every date 400 days later and other id
formats (``AS-000001``, ``TIL00000001``, ``MK-001``, …), exported table by
table as *Lumo Oy*'s systems would: ``;`` separators, CRLF, decimal commas,
``dd.mm.yyyy`` dates (``dd.mm.yyyy hh:mm:ss`` times), Finnish headers and
Finnish values (channels *myymälä/verkko/sovellus*, groups *testi/verrokki*,
consents *kyllä/ei*, …); the sales system's files in cp1252 (Excel "CSV (;)"),
the CRM's and the marketing system's in UTF-8 with a BOM (Excel "CSV UTF-8");
the order lines gzip-compressed, as a large export is sent. Its
``company.toml`` maps every header and value onto the course's names and
allows the repairs its planted faults call for. No answer key: the
generator's truth is not written (a client has none).
"""

from __future__ import annotations

import argparse
import csv
import gzip
import io
import re
import sys
import zipfile
from datetime import datetime
from pathlib import Path

import pandas as pd

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
from helpers import synth  # noqa: E402
from helpers.data import CONTRACTS, description_text, load_cdnow  # noqa: E402
from helpers.synth.faults import CLEANING  # noqa: E402

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
    _pin_times(path, datetime(1998, 7, 1))


def _pin_times(path: Path, when: datetime) -> None:
    """Give the workbook's members and its 'modified' property (openpyxl writes the time of saving) one fixed
    time, so the .xlsx is the same on every run."""
    stamp = f"<dcterms:modified xsi:type=\"dcterms:W3CDTF\">{when:%Y-%m-%dT%H:%M:%SZ}</dcterms:modified>"
    with zipfile.ZipFile(path) as old:
        members = [(info.filename, old.read(info)) for info in old.infolist()]
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as new:
        for name, content in members:
            if name == "docProps/core.xml":
                content = re.sub(r"<dcterms:modified [^>]*>[^<]*</dcterms:modified>", stamp, content.decode()).encode()
            new.writestr(zipfile.ZipInfo(name, date_time=when.timetuple()[:6]), content,
                         compress_type=zipfile.ZIP_DEFLATED)


def build_cdnow(folder: Path) -> None:
    """The CDNOW fixture: order lines as CSV and .xlsx, a minimal register, a description for each."""
    lines = order_lines(load_cdnow("master"))
    write_csv(lines, folder / "tilausrivit.csv")
    write_register(lines, folder / "asiakkaat.csv")
    write_xlsx(lines, folder / "tilausrivit.xlsx")
    (folder / "company.toml").write_text(COMPANY.format(orders=ORDERS_CSV), encoding="utf-8")
    (folder / "company_excel.toml").write_text(COMPANY.format(orders=ORDERS_XLSX), encoding="utf-8")


# --------------------------------------------------------------------------- Lumo Oy: every table
LUMO_FOLDER = ROOT / "data" / "clients" / "lumo"
#: The generator's arguments (helpers.synth.generate): nothing like the sample's seed, dates or ids.
LUMO = {"seed": 7, "n_persons": 4000, "shift_days": 400, "name": "Lumo Oy",
        "ids": synth.IdFormats(customer="AS-{:06d}", order="TIL{:08d}", product="TU-{:04d}", campaign="MK-{:03d}",
                               store="MYY{:02d}", response="VAS{:06d}", holder="VK{:06d}", automation="AU-{:02d}")}
CP1252, UTF8_BOM = "cp1252", "utf-8-sig"
#: Per table: the client's file, its encoding and the client's header of each course column, in the file's order.
LUMO_FILES = {
    "customers": ("asiakkaat.csv", UTF8_BOM, [
        "Asiakasnumero", "Nimi", "Sähköposti", "Puhelin", "Liittymispäivä", "Postinumero", "Aluetyyppi", "Ikäryhmä",
        "Kanta-asiakastaso", "Lupa sähköposti", "Lupa sähköposti pvm", "Lupa tekstiviesti", "Lupa tekstiviesti pvm",
        "Lupa kirje", "Lupa kirje pvm"]),
    "orders": ("tilausrivit.csv.gz", CP1252, [
        "Tilausnro", "Rivi", "Asiakasnumero", "Aika", "Myyntikanava", "Myymälä", "Tuotenro", "Tuoteryhmä", "Kpl",
        "Summa €", "Alennus €", "Kate €"]),
    "products": ("tuotteet.csv", CP1252, ["Tuotenro", "Tuote", "Tuoteryhmä", "Ohjehinta €", "Hankintahinta €"]),
    "stores": ("myymalat.csv", CP1252, ["Myymälä", "Nimi", "Paikkakunta"]),
    "postal_codes": ("postinumerot.csv", CP1252, ["Postinumero", "Postitoimipaikka", "Aluetyyppi"]),
    "campaigns": ("kampanjat.csv", UTF8_BOM, [
        "Kampanja", "Nimi", "Lähetyspäivä", "Kanava", "Tarjous", "Kohderyhmä", "Verrokkiosuus",
        "Hinta per kontakti €", "Vasteaika pv"]),
    "campaign_members": ("kampanjoiden_vastaanottajat.csv", UTF8_BOM, [
        "Kampanja", "Asiakasnumero", "Ryhmä", "Osti", "Myynti €", "Kate €"]),
    "automations": ("automaatiot.csv", UTF8_BOM, [
        "Automaatio", "Nimi", "Laukaisin", "Hiljaisuus pv", "Kanava", "Tarjous", "Alkupäivä", "Verrokkiosuus",
        "Seuranta pv", "Hinta per viesti €"]),
    "automation_members": ("automaation_laukaisut.csv", UTF8_BOM, [
        "Automaatio", "Asiakasnumero", "Laukaisupäivä", "Ryhmä", "Osti", "Ostoja", "Myynti €", "Kate €"]),
    "survey": ("asiakaskysely.csv", UTF8_BOM, [
        "Vastaus", "Asiakasnumero", "Päivä", "Suosittelu 0-10", "Helppous 1-7", "Valikoima", "Hinnat",
        "Henkilökunta", "Toimitus", "Sovellus"]),
    "referrals": ("suosittelut.csv", UTF8_BOM, ["Suosittelija", "Suositeltu", "Päivä"]),
    "park_holders": ("kausikortit.csv", CP1252, [
        "Kortti", "Ensimmäinen kausi", "Ikäryhmä", "Aikuisia", "Lapsia", "Asuinalue"]),
    "park_seasons": ("kausikorttikaudet.csv", CP1252, [
        "Kortti", "Kausi", "Käyntejä", "Ruoka €", "Laitteet €", "Esitykset €", "Kortin hinta €", "Uusittu"]),
    "park_campaign": ("kolmas_kaynti_testi.csv", CP1252, ["Kortti", "Kausi", "Ryhmä", "Kolmas käynti", "Uusittu"]),
}
AREAS = {"kaupunki": "city", "esikaupunki": "suburb", "maaseutu": "rural"}
GROUPS = {"testi": "treatment", "verrokki": "control"}
CONSENT = {"kyllä": "yes", "ei": "no"}
MESSAGES = {"sähköposti": "email", "tekstiviesti": "sms"}
#: The client's values of the coded columns (client value = course value, as in company.toml).
LUMO_VALUES = {
    "customers": {"area_type": AREAS, "loyalty_tier": {"perus": "basic", "hopea": "silver", "kulta": "gold"},
                  "consent_email": CONSENT, "consent_sms": CONSENT, "consent_post": CONSENT},
    "orders": {"channel": {"myymälä": "store", "verkko": "web", "sovellus": "app"}},
    "postal_codes": {"area_type": AREAS}, "campaigns": {"channel": MESSAGES}, "campaign_members": {"group": GROUPS},
    "automations": {"channel": MESSAGES}, "automation_members": {"group": GROUPS},
    "park_holders": {"home_area": AREAS}, "park_campaign": {"group": GROUPS},
}
LUMO_HEADER = """\
Lumo Oy: a client with every table of the course, built by tools/make_client_fixtures.py from the
project's own generator (seed 7, 4 000 persons, every date 400 days later, other id formats) and
exported as a Finnish client would: ';' separators, decimal commas, dd.mm.yyyy dates, Finnish
headers and values (mapped below); the sales system's files in cp1252, the CRM's and the marketing
system's in UTF-8 with a BOM; the order lines gzip-compressed. Encoding, separator, decimal mark and
date format are left for the intake to detect. No answer key: a client has none."""


def lumo_data() -> synth.SampleData:
    """Lumo Oy as the generator makes it (its ``truth`` is the answer key the fixture leaves out)."""
    return synth.generate(**LUMO)


def _client_text(df: pd.DataFrame, name: str) -> pd.DataFrame:
    """A table's cells as the client's export writes them: Finnish numbers, dates and values."""
    kinds = {c.name: c.kind for c in CONTRACTS[name]}
    out = pd.DataFrame(index=df.index)
    for col in df.columns:
        values, kind = df[col], kinds[col]
        if kind == "datetime":
            text = values.dt.strftime("%d.%m.%Y %H:%M:%S")
        elif kind == "date":
            text = values.dt.strftime("%d.%m.%Y")
        elif kind == "float":
            text = values.map(lambda v: f"{v:.2f}".replace(".", ","), na_action="ignore")
        elif kind == "int":
            text = values.map(lambda v: str(int(v)), na_action="ignore")
        else:
            client = {course: client for client, course in LUMO_VALUES.get(name, {}).get(col, {}).items()}
            text = values.map(lambda v: client.get(v, v), na_action="ignore")
        out[col] = text.astype(object).where(values.notna(), "")
    return out


def write_client_table(df: pd.DataFrame, name: str, path: Path, encoding: str, header: list[str]) -> None:
    """One table as a ``;`` CSV with CRLF line ends (quoted only where a cell holds ``;`` or ``"``)."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=";", lineterminator="\r\n")
    writer.writerow(header)
    writer.writerows(_client_text(df, name).itertuples(index=False))
    data = buffer.getvalue().encode(encoding)
    path.write_bytes(gzip.compress(data, compresslevel=9, mtime=0) if path.suffix == ".gz" else data)


def lumo_description() -> str:
    """Lumo Oy's ``company.toml``: its facts, every table's file, headers and values, the repairs allowed."""
    facts = synth.Settings(**LUMO).facts
    tables = {}
    for name, (file, _, header) in LUMO_FILES.items():
        spec = {"file": file, "columns": dict(zip(header, [c.name for c in CONTRACTS[name]]))}
        if name in LUMO_VALUES:
            spec["values"] = LUMO_VALUES[name]
        tables[name] = spec
    return description_text(facts.name, tables, observation_end=facts.observation_end,
                            extraction_date=facts.extraction_date, founded=facts.founded, fixes=CLEANING,
                            header=LUMO_HEADER)


def build_lumo(folder: Path) -> None:
    """The Lumo fixture: every table in the client's format and a company.toml; the truth goes nowhere."""
    generated = lumo_data()
    for name, (file, encoding, header) in LUMO_FILES.items():
        df = generated.tables[name]
        if list(df.columns) != [c.name for c in CONTRACTS[name]]:
            raise ValueError(f"{name}: the generator's columns {list(df.columns)} are not the contract's")
        write_client_table(df, name, folder / file, encoding, header)
    (folder / "company.toml").write_text(lumo_description(), encoding="utf-8")


# --------------------------------------------------------------------------- command line
BUILDERS = {"cdnow": (build_cdnow, FOLDER), "lumo": (build_lumo, LUMO_FOLDER)}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python tools/make_client_fixtures.py", description=__doc__.split("\n")[0])
    parser.add_argument("folder", nargs="?", type=Path, help="where to build one fixture (default: every fixture "
                        "into data/clients/<name>)")
    parser.add_argument("--fixture", choices=sorted(BUILDERS), help="which fixture (default with a folder: cdnow)")
    args = parser.parse_args(sys.argv[1:] if argv is None else argv)
    if args.folder is None and args.fixture is None:
        jobs = list(BUILDERS.values())
    else:
        build, default = BUILDERS[args.fixture or "cdnow"]
        jobs = [(build, args.folder or default)]
    for build, folder in jobs:
        folder.mkdir(parents=True, exist_ok=True)
        build(folder)
        for path in sorted(folder.iterdir()):
            print(f"{path.relative_to(folder.parent)}: {path.stat().st_size / 1e6:.2f} MB")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
