"""Reading a client's exports as they are: one test per class of bad or unusual input (issue 10).

Each refusal names the file, the column (or line), the rule, how many rows and
a few examples; each accepted quirk is counted, so no row disappears uncounted.
"""

import codecs
from datetime import datetime

import pandas as pd
import pytest

from helpers import data

NBSP, NNBSP = "\u00a0", "\u202f"
FINNISH = "Asiakasnro;Tilauspäivä;Summa €\n00123;31.12.2025;1 234,50\n00124;01.02.2025 9:05;12,50\n"
MAP = {"Asiakasnro": "customer_id", "Tilauspäivä": "timestamp", "Summa €": "amount"}


def write(path, text, encoding="utf-8"):
    path.write_bytes(text.encode(encoding) if isinstance(text, str) else text)
    return path


def refused(path, name="orders", **options) -> str:
    with pytest.raises(data.DataContractError) as err:
        data.read_table(path, name, **options)
    return str(err.value)


def counted(df) -> None:
    """Every data row read is either in the table or counted as blank or total."""
    info = df.attrs["intake"]
    assert info["rows_in"] == info["rows_out"] + info["blank_rows"] + info["total_rows"] == len(df) + \
        info["blank_rows"] + info["total_rows"]


# --------------------------------------------------------------------------- encodings
@pytest.mark.parametrize("encoding, bom, label", [
    ("cp1252", b"", "cp1252"),                      # Excel "CSV (;)" on a Finnish Windows
    ("utf-8", b"", "UTF-8"),
    ("utf-8", codecs.BOM_UTF8, "UTF-8 with BOM"),   # Excel "CSV UTF-8"
    ("utf-16-le", codecs.BOM_UTF16_LE, "UTF-16 with BOM"),  # Excel "Unicode text"
])
def test_every_common_encoding_is_recognised_and_reported(tmp_path, encoding, bom, label):
    path = write(tmp_path / "tilaukset.csv", bom + FINNISH.encode(encoding))
    df = data.read_table(path, "orders", columns=MAP)
    assert df.attrs["intake"]["encoding"] == label
    assert df["customer_id"].tolist() == ["00123", "00124"]  # ids stay text: leading zeros kept
    assert df["amount"].tolist() == [1234.5, 12.5]


def test_an_undecodable_file_names_the_line_and_the_encodings_tried(tmp_path):
    path = write(tmp_path / "rikki.csv", b"customer_id;timestamp;amount\nA;2025-01-01;1\n\x81\x8d;2025-01-02;2\n")
    message = refused(path)
    assert "rikki.csv" in message and "line 3" in message and "\\x81" in message
    assert "UTF-8" in message and "UTF-16" in message and "cp1252" in message


def test_utf16_without_a_byte_order_mark_is_refused_with_the_fix(tmp_path):
    path = write(tmp_path / "unicode.txt", FINNISH.encode("utf-16-le"))
    assert "unicode.txt" in (message := refused(path)) and 'encoding = "utf-16-le"' in message
    assert data.read_table(path, "orders", columns=MAP, encoding="utf-16-le")["amount"].sum() == 1247.0


# --------------------------------------------------------------------------- separators and numbers
@pytest.mark.parametrize("sep, thousands", [(";", " "), (";", NBSP), ("\t", NNBSP), ("\t", "."), (";", ".")])
def test_decimal_commas_and_thousands_separators_with_semicolons_and_tabs(tmp_path, sep, thousands):
    text = f"customer_id{sep}timestamp{sep}amount\nA{sep}2025-01-01{sep}1{thousands}234{thousands}567,89\n" \
           f"B{sep}2025-01-02{sep}-12,5\n"
    df = data.read_table(write(tmp_path / "o.csv", text), "orders")
    assert df["amount"].tolist() == [1234567.89, -12.5]
    assert df.attrs["intake"]["decimal"] == "," and df.attrs["intake"]["separator"] in ("';'", "tab")


def test_an_ambiguous_value_is_refused_until_the_decimal_mark_is_declared(tmp_path):
    path = write(tmp_path / "summat.csv", "customer_id;timestamp;amount\nA;2025-01-01;1.234\nB;2025-01-02;12\n"
                                         "C;2025-01-03;2.500\n")
    message = refused(path)
    assert all(s in message for s in ["summat.csv", "'amount'", "ambiguous", "2 of 3 rows", "'1.234'", "'2.500'",
                                      "decimal = ','", "file lines 2, 4"])
    assert data.read_table(path, "orders", decimal=",")["amount"].tolist() == [1234, 12, 2500]
    assert data.read_table(path, "orders", decimal=".")["amount"].tolist() == [1.234, 12, 2.5]


def test_the_file_decides_an_ambiguous_value_when_another_number_shows_its_decimal_mark(tmp_path):
    finnish = write(tmp_path / "fi.csv", "customer_id;timestamp;amount\nA;2025-01-01;1.234\nB;2025-01-02;12,50\n")
    english = write(tmp_path / "en.csv", "customer_id,timestamp,amount\nA,2025-01-01,1.234\nB,2025-01-02,12.50\n")
    assert data.read_table(finnish, "orders")["amount"].tolist() == [1234.0, 12.5]
    assert data.read_table(english, "orders")["amount"].tolist() == [1.234, 12.5]


def test_a_file_mixing_both_decimal_marks_is_refused(tmp_path):
    path = write(tmp_path / "sekaisin.csv", "customer_id;timestamp;amount\nA;2025-01-01;12.50\nB;2025-01-02;7,25\n")
    message = refused(path)
    assert all(s in message for s in ["sekaisin.csv", "'amount'", "both decimal marks", "'12.50'", "'7,25'"])


# --------------------------------------------------------------------------- dates
def test_iso_and_finnish_dates_with_and_without_times(tmp_path):
    text = "customer_id;timestamp;amount\nA;31.12.2025;1\nB;31.12.2025 9:05;1\nC;2025-12-31 23:59:59;1\n" \
           "D;01.02.2025 10:05:30;1\n"
    df = data.read_table(write(tmp_path / "o.csv", text), "orders")
    assert df["timestamp"].tolist() == [pd.Timestamp(t) for t in ["2025-12-31", "2025-12-31 09:05",
                                                                   "2025-12-31 23:59:59", "2025-02-01 10:05:30"]]
    assert "dd.mm.yyyy" in df.attrs["intake"]["date_format"] and "ISO 8601" in df.attrs["intake"]["date_format"]


def test_a_declared_date_format_wins_and_slashed_dates_are_never_guessed(tmp_path):
    path = write(tmp_path / "us.csv", "customer_id;timestamp;amount\nA;12/31/2025;1\nB;01/02/2025;1\n")
    message = refused(path)
    assert all(s in message for s in ["us.csv", "'timestamp'", "must be a datetime", "2 of 2 rows", "'12/31/2025'",
                                      "date_format"])
    df = data.read_table(path, "orders", date_format="%m/%d/%Y")
    assert df["timestamp"].tolist() == [pd.Timestamp("2025-12-31"), pd.Timestamp("2025-01-02")]


def test_mixed_time_zones_are_refused_unless_a_zone_is_declared(tmp_path):
    text = "customer_id,timestamp,amount\nA,2025-01-15T10:00:00+02:00,1\nB,2025-07-15T10:00:00+03:00,1\n" \
           "C,2025-07-16T11:00:00+03:00,1\n"
    path = write(tmp_path / "aikavyohyke.csv", text)
    message = refused(path)
    assert all(s in message for s in ["aikavyohyke.csv", "'timestamp'", "mixes time zones", "+02:00, +03:00",
                                      "1 of 3 rows", "'2025-01-15T10:00:00+02:00'", "timezone"])
    df = data.read_table(path, "orders", timezone="Europe/Helsinki")
    assert df["timestamp"].dt.hour.tolist() == [10, 10, 11]  # local Helsinki time, winter and summer


def test_times_with_and_without_an_offset_are_refused(tmp_path):
    path = write(tmp_path / "o.csv", "customer_id,timestamp,amount\nA,2025-01-15T10:00:00Z,1\nB,2025-01-16 10:00,1\n")
    assert all(s in refused(path) for s in ["o.csv", "'timestamp'", "without one", "1 of 2 rows", "'2025-01-16 10:00'"])


# --------------------------------------------------------------------------- rows
def test_blank_lines_and_excel_blank_rows_are_skipped_and_counted(tmp_path):
    text = "customer_id;timestamp;amount\nA;2025-01-01;1\n\n;;\n  ;  ;\nB;2025-01-02;2\n;;\n"
    df = data.read_table(write(tmp_path / "o.csv", text), "orders")
    assert df["customer_id"].tolist() == ["A", "B"] and df.attrs["intake"]["blank_rows"] == 4
    counted(df)


@pytest.mark.parametrize("label", ["Yhteensä", "YHTEENSÄ:", "Total", "Summa"])
def test_a_trailing_total_row_is_dropped_and_counted_never_read_as_a_customer(tmp_path, label):
    text = f"customer_id;timestamp;amount\nA;2025-01-01;1,50\nB;2025-01-02;2\n{label};;3,50\n;;\n"
    df = data.read_table(write(tmp_path / "o.csv", text), "orders")
    assert df["customer_id"].tolist() == ["A", "B"] and df.attrs["intake"]["total_rows"] == 1
    counted(df)


def test_a_total_row_inside_the_data_is_refused(tmp_path):
    path = write(tmp_path / "valisummat.csv", "customer_id;timestamp;amount\nA;2025-01-01;1\nYhteensä;;1\n"
                                              "B;2025-01-02;2\n")
    message = refused(path)
    assert all(s in message for s in ["valisummat.csv", "1 total or subtotal row", "file lines 3", "Yhteensä"])


def test_rows_with_a_trailing_separator_the_header_lacks_are_refused(tmp_path):
    path = write(tmp_path / "puolipiste.csv", "customer_id;timestamp;amount\nA;2025-01-01;1;\nB;2025-01-02;2;\n"
                                              "C;2025-01-03;3\n")
    message = refused(path)
    assert all(s in message for s in ["puolipiste.csv", "2 data row(s)", "more fields than the header", "3 columns",
                                      "file lines 2, 3", "['A', '2025-01-01', '1', '']"])
    both = write(tmp_path / "both.csv", "customer_id;timestamp;amount;\nA;2025-01-01;1;\n")  # header has it too
    assert data.read_table(both, "orders")["amount"].tolist() == [1.0]


@pytest.mark.parametrize("text, rule", [
    ("", "the file is empty"), ("\n\n  \n", "the file is empty"),
    ("customer_id;timestamp;amount\n", "has a header but no data rows"),
    ("customer_id;timestamp;amount\n;;\n\nYhteensä;;0\n", "has a header but no data rows (2 blank, 1 total"),
])
def test_empty_files_and_header_only_files_are_refused_naming_the_file(tmp_path, text, rule):
    assert "tyhja.csv" in (message := refused(write(tmp_path / "tyhja.csv", text))) and rule in message


def test_a_header_with_an_empty_or_repeated_name_is_refused(tmp_path):
    unnamed = write(tmp_path / "a.csv", "customer_id;;amount\nA;1;2\n")
    assert "column 2 of the header (line 1) has no name" in refused(unnamed)
    repeated = write(tmp_path / "b.csv", "amount;customer_id;amount\n1;A;2\n")
    assert "repeats column name(s) ['amount']" in refused(repeated)


# --------------------------------------------------------------------------- columns
def test_client_headers_are_mapped_and_the_rest_listed_never_an_error(tmp_path):
    text = "Asiakasnro;Tilauspäivä;Summa €;Myyjä;Huom\n1;01.01.2025;5,00;Liisa;\n"
    df = data.read_table(write(tmp_path / "o.csv", text), "orders", columns=MAP)
    assert list(df.columns) == ["customer_id", "timestamp", "amount"]  # no invented placeholders
    assert df.attrs["intake"]["ignored"] == ["Myyjä", "Huom"]


def test_mapping_mistakes_name_the_file_and_the_columns(tmp_path):
    path = write(tmp_path / "o.csv", "Asiakasnro;Pvm;Summa\n1;01.01.2025;5\n")
    assert "maps column(s) ['Tilauspäivä', 'Summa €'], but the file's header has" in refused(path, columns=MAP)
    assert "does not have" in refused(path, columns={"Pvm": "date_of_order"})
    message = refused(path, columns={"Asiakasnro": "customer_id", "Summa": "amount"})
    assert "o.csv: required column(s) ['timestamp'] are missing" in message and "Pvm" in message


def test_client_values_are_translated_before_the_contract_checks_them(tmp_path):
    text = "customer_id;timestamp;amount;channel\nA;01.01.2025;5;verkko\nB;01.01.2025;5;myymälä\nC;01.01.2025;5;app\n"
    path = write(tmp_path / "o.csv", text)
    message = refused(path)
    assert all(s in message for s in ["o.csv", "'channel'", "must be one of", "2 of 3 rows", "'verkko'", "'myymälä'"])
    df = data.read_table(path, "orders", values={"channel": {"verkko": "web", "myymälä": "store"}})
    assert df["channel"].tolist() == ["web", "store", "app"]


# --------------------------------------------------------------------------- Excel
def _workbook(path, rows, sheet="Tilausrivit"):
    from openpyxl import Workbook

    book = Workbook()
    book.active.title = "Kansilehti"
    book.active.append(["Raportti"])
    ws = book.create_sheet(sheet)
    for row in rows:
        ws.append(row)
    book.save(path)
    return path


def test_excel_sheet_and_header_row_are_selectable_with_date_cells_and_ids_as_text(tmp_path):
    rows = [["Tilausrivit 2025"], [], ["Asiakasnro", "Tilauspäivä", "Summa €"],
            ["000123", datetime(2025, 12, 31, 9, 5), 1234.5], [None, None, None], ["000124", datetime(2025, 2, 1), 12],
            ["Yhteensä", None, 1246.5]]
    path = _workbook(tmp_path / "tilaukset.xlsx", rows)
    df = data.read_table(path, "orders", columns=MAP, sheet="Tilausrivit", header_row=3)
    assert df["customer_id"].tolist() == ["000123", "000124"]
    assert df["timestamp"].tolist() == [pd.Timestamp("2025-12-31 09:05"), pd.Timestamp("2025-02-01")]
    assert df["amount"].tolist() == [1234.5, 12.0]
    info = df.attrs["intake"]
    assert (info["title_rows"], info["blank_rows"], info["total_rows"]) == (2, 1, 1)
    assert info["date_format"] == "timestamp: Excel date cells"
    assert "has no sheet 'Tilaukset'; its sheets are ['Kansilehti', 'Tilausrivit']" in refused(
        path, columns=MAP, sheet="Tilaukset")
    assert "header_row" in refused(path, columns=MAP, sheet="Tilausrivit")  # the title row read as the header


def test_old_excel_files_are_refused_with_the_fix(tmp_path):
    assert "save it as .xlsx" in refused(write(tmp_path / "vanha.xls", b"\xd0\xcf\x11\xe0"))


def test_excels_separator_hint_line_is_understood(tmp_path):
    path = write(tmp_path / "o.csv", "sep=;\ncustomer_id;timestamp;amount\nA;2025-01-01;1,5\n")
    df = data.read_table(path, "orders")
    assert df["amount"].tolist() == [1.5] and df.attrs["intake"]["separator"] == "';'"


def test_an_excel_number_id_and_a_zero_padded_text_id_are_flagged_as_a_likely_clash(tmp_path):
    orders = _workbook(tmp_path / "tilaukset.xlsx", [["customer_id", "timestamp", "amount"],
                                                     [123, datetime(2025, 1, 2), 10.0],
                                                     ["000124", datetime(2025, 1, 3), 5.0]])
    df = data.read_table(orders, "orders", sheet="Tilausrivit")
    assert df["customer_id"].tolist() == ["123", "000124"]  # read as written: never merged silently
    customers = pd.DataFrame({"customer_id": ["000123", "000124"],
                              "signup_date": pd.to_datetime(["2025-01-02", "2025-01-03"])})
    found = data.health_check(customers, df).set_index(["table", "rule"])
    assert found.loc[("orders", "id_format_clash"), "rows"] == 1
    assert found.loc[("orders", "id_format_clash"), "examples"] == "123 2025-01-02"
    assert found.loc[("orders", "customer_not_in_register"), "rows"] == 1
