"""Generate every table of a company and its answer key from one seed, and write them as CSV.

:func:`generate` runs the named steps in order: the people, their purchase days
and the campaigns (:func:`_simulate_world`); the order lines up to the
observation end and the win-back automation's firings and effects on them
(:func:`_observed_lines`); the campaigns' measured outcomes; the tables the
company holds (:func:`_company_tables`); the answer key (:func:`_answer_key`);
the planted faults; the park; the automation's answer key. Each step draws from
its own random stream (:func:`helpers.synth.common.rngs`), so a change in one
step leaves the others' draws as they were: version 3 added the late joiners
(sign-ups in November and December 2025) and the automation with streams of
their own, and the members who joined earlier kept every draw of version 2.
"""

from __future__ import annotations

import argparse
import sys
from dataclasses import dataclass, fields
from pathlib import Path

import numpy as np
import pandas as pd

from helpers import DATA_DIR
from helpers.data.contracts import CONTRACTS
from helpers.data.description import description_text
from helpers.synth import campaigns as camp
from helpers.synth import automation, faults, park, people, purchases, survey
from helpers.synth.common import CATEGORIES, N_PERSONS, SEED, TREATMENT, VERSION, IdFormats, Settings, rngs
from helpers.synth.latent import SEGMENTS
from helpers.vocabulary import CHANNELS, SAMPLE, CompanyFacts

#: Tables written gzip-compressed.
LARGE = {"orders", "campaign_members", "campaign_effects", "automation_members", "automation_effects"}


@dataclass
class SampleData:
    """All tables of a generated company, keyed by file name (without extension), its answer key and dates."""

    tables: dict
    truth: dict
    facts: CompanyFacts


def generate(seed: int = SEED, *, n_persons: int = N_PERSONS, shift_days: int = 0, ids: IdFormats | None = None,
             name: str = SAMPLE.name) -> SampleData:
    """Generate every table of a company and its answer key; the defaults give the sample company.

    Parameters
    ----------
    seed : int
        Seed of every random draw. The same arguments give the same tables, byte for byte.
    n_persons : int
        Real persons behind the register (the sample: 14 600; at least
        :data:`helpers.synth.common.MIN_PERSONS`). The survey, the ambassadors,
        the campaign audiences' cap, the planted faults and the park's new
        holders are scaled in proportion, so a small company runs in a second
        or two.
    shift_days : int
        Days every date moves (sign-ups, orders, campaigns, survey, referrals,
        consents, the observation end, …); the calendar then sets the months,
        so seasonal peaks stay in their months. Park seasons (calendar years)
        move by the shift rounded to whole years.
    ids : IdFormats, optional
        How the ids of customers, orders, products, campaigns, stores, survey
        responses and park holders are written; default the sample's
        (``C00001``, ``O0000001``, ``P001``, ``K01``, ``S1``, ``R00001``, ``H00001``).
    name : str
        The company's name; its first word names the stores (``Kotiranta Helsinki``).

    Returns
    -------
    SampleData
        ``tables`` (as written to ``data/sample/``), ``truth`` (the answer key,
        ``data/sample/truth/``) and ``facts`` (the company's dates).
    """
    return _generate(Settings(seed=seed, n_persons=n_persons, shift_days=shift_days, ids=ids or IdFormats(), name=name))


def _generate(cfg: Settings) -> SampleData:
    """The steps of :func:`generate`, each with its own random stream (``r[0]``, …, ``r[11]``).

    ``r[10]`` is split into the late joiners' streams and ``r[11]`` into the
    automation's: both came with version 3 and left the earlier streams' draws as they were.
    """
    r = rngs(cfg.seed, 12)
    late, auto = r[10].spawn(8), r[11].spawn(3)
    world = _simulate_world(cfg, r, late)
    lines = _observed_lines(cfg, r, late, auto, world)
    sales = lines.final[(lines.final["quantity"] > 0) & ~lines.final["removed"]]
    members = camp.measure_members(cfg, world.members, world.plan, sales, world.persons, world.customer_ids,
                                   value_sales=lines.before[lines.before["quantity"] > 0])
    tables = _company_tables(cfg, r, late, world, lines, sales, members)
    truth = _answer_key(world, members, tables["products"])
    customers, orders, found = faults.plant_faults(cfg, r[8], tables["customers"], tables["orders"])
    orders, truth["faults"] = _without_skipped(orders, found)
    holders, seasons, park_campaign, park_truth, park_effects = park.make_park(cfg, r[9])
    tables.update(customers=customers, orders=orders, park_holders=holders, park_seasons=seasons,
                  park_campaign=park_campaign)
    effects = automation.effects_truth(cfg, lines.firings, lines.before, lines.potential, world.customer_ids)
    truth.update(park_truth=park_truth, park_effects=park_effects, park_parameters=park.park_parameters(),
                 automation_effects=effects, automation_parameters=automation.parameters(effects),
                 trigger_effects=_trigger_effects(park_effects, effects))
    return SampleData(_in_order(tables, TABLE_ORDER), _in_order(truth, TRUTH_ORDER), cfg.facts)


TABLE_ORDER = ["customers", "orders", "products", "stores", "postal_codes", "campaigns", "campaign_members", "survey",
               "referrals", "park_holders", "park_seasons", "park_campaign", "automations", "automation_members"]
TRUTH_ORDER = ["customers_truth", "segments", "campaign_effects", "campaigns_truth", "product_associations",
               "survey_drivers", "faults", "park_truth", "park_effects", "park_parameters", "automation_effects",
               "automation_parameters", "trigger_effects"]


def _in_order(tables: dict, order: list) -> dict:
    return {name: tables[name] for name in order}


@dataclass
class _World:
    """What the simulation knows before anything is recorded: persons, purchase events, campaign members."""

    postal: pd.DataFrame
    products: pd.DataFrame
    plan: pd.DataFrame
    persons: pd.DataFrame
    events: pd.DataFrame
    members: pd.DataFrame
    customer_ids: np.ndarray


def _simulate_world(cfg: Settings, r: list, late: list) -> _World:
    """Persons, their consents, purchase days until the end of the future year, and the campaigns' effects.

    The early members come from ``r``, the late joiners from ``late`` and are
    appended after them (persons stay in sign-up order). Also records in
    ``persons`` the answer key's future: purchase days in the hidden future
    year and whether the person is alive at the observation end.
    """
    postal = people.make_postal_codes(cfg)
    products = purchases.make_products(cfg)
    persons = people.make_persons(cfg, r[0], postal)
    people.add_consents(cfg, r[1], persons)
    joiners = people.make_persons(cfg, late[0], postal, late=True)
    people.add_consents(cfg, late[1], joiners, first_number=cfg.n_early + 1, taken_phones=persons["phone"])
    events = purchases.simulate_purchase_days(cfg, r[2], persons)
    late_events = purchases.simulate_purchase_days(cfg, late[2], joiners).assign(
        person=lambda e: e["person"] + cfg.n_early)
    persons = pd.concat([persons, joiners], ignore_index=True)
    events = pd.concat([events, late_events], ignore_index=True)
    plan = camp.campaign_plan(cfg)
    events, members = camp.run_campaigns(cfg, r[3], persons, events, plan, late[3])
    obs_end = cfg.days(cfg.observation_end) + 1
    organic = events[events["source"] == "organic"]
    future = organic[organic["t"] >= obs_end]
    future_days = future.assign(day=np.floor(future["t"])).drop_duplicates(["person", "day"])
    persons["purchases_future"] = np.bincount(future_days["person"], minlength=len(persons))
    persons["alive_at_end"] = purchases.alive_at(persons, organic, obs_end)
    n_duplicates = cfg.scaled(faults.REGISTER_FAULTS["duplicate_customer"])
    return _World(postal, products, plan, persons, events, members, people.customer_ids(cfg, n_duplicates))


@dataclass
class _Lines:
    """Order lines up to the observation end, before and after the automation acted."""

    before: pd.DataFrame  # early and late lines as they would be without the automation (un-numbered)
    final: pd.DataFrame  # as recorded, numbered; purchases that treated sleeping dogs skip marked ``removed``
    potential: pd.DataFrame  # every purchase the message brings or would bring (held-out firings too)
    firings: pd.DataFrame  # the automation's firings


def _observed_lines(cfg: Settings, r: list, late: list, auto: list, world: _World) -> _Lines:
    """Order lines (returns included) up to the observation end, numbered into orders, and the automation's firings.

    The early members' lines are drawn from ``r`` exactly as version 2 drew
    them, the late joiners' from ``late`` (with the same catalogue tastes),
    the automation's purchases from ``auto``. The skipped purchases stay in
    ``final`` (marked) until the faults are planted, so the faults land where
    version 2 put them.
    """
    obs_end = cfg.days(cfg.observation_end) + 1
    observed = world.events[world.events["t"] < obs_end].reset_index(drop=True)
    n_early = int((observed["person"] < cfg.n_early).sum())  # the early members' events come first
    offers = camp.offer_discounts(world.plan)
    early, taste = purchases.build_order_lines(cfg, r[4], world.persons.iloc[:cfg.n_early], observed.iloc[:n_early],
                                               world.products, offers)
    early = purchases.add_returns(r[5], world.persons, early)
    joiners, _ = purchases.build_order_lines(cfg, late[4], world.persons, observed.iloc[n_early:], world.products,
                                             offers, taste)
    joiners = purchases.add_returns(late[5], world.persons, joiners.assign(ev=joiners["ev"] + n_early))
    lines = pd.concat([early.assign(origin="early"), joiners.assign(origin="late")], ignore_index=True)
    firings, removed = automation.fire(cfg, auto[0], world.persons, observed)
    potential = _automation_lines(cfg, auto, world, firings, taste, first_ev=len(observed))
    final = _recorded_lines(firings, lines, potential, removed)
    final = purchases.number_orders(cfg, final[final["t"] < obs_end], world.customer_ids)
    return _Lines(lines[lines["t"] < obs_end], final, potential[potential["t"] < obs_end], firings)


def _automation_lines(cfg: Settings, auto: list, world: _World, firings: pd.DataFrame, taste,
                      first_ev: int) -> pd.DataFrame:
    """Lines (and returns) of every purchase the message brings or would bring; ``firing`` names its firing."""
    brought = automation.push_events(cfg, firings)
    offer = {cfg.ids.automation.format(1): automation.VOUCHER_DISCOUNT}
    lines, _ = purchases.build_order_lines(cfg, auto[1], world.persons, brought.reset_index(drop=True),
                                           world.products, offer, taste)
    lines = purchases.add_returns(auto[2], world.persons, lines.assign(ev=lines["ev"] + first_ev))
    return lines.assign(origin="automation", firing=brought["firing"].to_numpy()[_sale_event(lines) - first_ev])


def _sale_event(lines: pd.DataFrame) -> np.ndarray:
    """The purchase event of each line (a return's is the sale it returns)."""
    ev = lines["ev"].to_numpy()
    return np.where(ev < 0, -1 - ev, ev)


def _recorded_lines(firings: pd.DataFrame, lines: pd.DataFrame, potential: pd.DataFrame,
                    removed: np.ndarray) -> pd.DataFrame:
    """The treated firings' effects on the lines: vouchers in the window, the purchases brought, the skipped ones."""
    treated = firings["group"].eq(TREATMENT).to_numpy()
    final = automation.with_voucher(lines, automation.window_events(firings[treated], lines))
    final["removed"] = np.isin(_sale_event(final), removed)
    brought = potential[treated[potential["firing"].to_numpy()]].drop(columns="firing")
    return pd.concat([final, brought.assign(removed=False)], ignore_index=True)


def _company_tables(cfg: Settings, r: list, late: list, world: _World, lines: _Lines, sales: pd.DataFrame,
                    members: pd.DataFrame) -> dict:
    """The tables the company holds (before the faults): register, orders, reference lists, campaigns, survey.

    The orders keep their ``origin`` and the skipped purchases (``removed``)
    until the faults are planted. The survey is drawn among the early
    members' purchases as version 2 drew it (the skipped ones included).
    """
    surveyed = lines.final[(lines.final["quantity"] > 0) & lines.final["origin"].eq("early")]
    return {
        "customers": people.make_register(cfg, world.persons, sales, world.customer_ids),
        "orders": lines.final[purchases.ORDER_COLUMNS + ["origin", "removed"]].copy(),
        "products": world.products,
        "stores": people.make_stores(cfg),
        "postal_codes": world.postal[["postal_code", "town", "area_type"]],
        "campaigns": camp.campaign_table(world.plan),
        "campaign_members": members[["campaign_id", "customer_id", "group", "converted", "revenue", "margin"]],
        "survey": survey.make_survey(cfg, r[6], world.persons, surveyed, world.customer_ids),
        "referrals": survey.make_referrals(cfg, r[7], world.persons, world.customer_ids, late[7]),
        "automations": automation.automation_table(cfg),
        "automation_members": automation.member_table(cfg, lines.firings, sales, world.customer_ids),
    }


def _without_skipped(orders: pd.DataFrame, found: pd.DataFrame):
    """The orders without the purchases treated sleeping dogs skipped, and the faults that remain."""
    orders = orders[~orders["removed"]].drop(columns=["origin", "removed"]).reset_index(drop=True)
    keys = set(orders["order_id"] + "/" + orders["line_no"].astype(str))
    gone = found["table"].eq("orders") & ~found["key"].isin(keys)
    return orders, found[~gone].reset_index(drop=True)


def _trigger_effects(park_effects: pd.DataFrame, effects: pd.DataFrame) -> pd.DataFrame:
    """``truth/trigger_effects.csv``: the planted effects of the triggers the companies ran, one row per measure.

    The park's three-visit effect and its voucher test (mean true effect over
    the test's members, as if each were sent the voucher); the win-back
    automation's mean true effects per firing, overall and by response type.
    """
    rows = [("park_third_visit", "churn multiplier after a season of three or more visits",
             park.THREE_VISIT_CHURN_MULTIPLIER, "ratio"),
            ("park_voucher", "mean added chance of a third visit", park_effects["true_effect_third_visit"].mean(),
             "probability"),
            ("park_voucher", "mean added chance of renewing", park_effects["true_effect_renewal"].mean(),
             "probability")]
    for measure, unit in [("buy", "probability"), ("purchases", "purchases per firing"),
                          ("revenue", "euros per firing"), ("margin", "euros per firing")]:
        col = f"true_effect_{measure}"
        rows.append(("winback", f"mean {measure} effect", effects[col].mean(), unit))
        rows += [("winback", f"mean {measure} effect, {kind}", part[col].mean(), unit)
                 for kind, part in effects.groupby("response_type")]
    return pd.DataFrame(rows, columns=["trigger", "measure", "value", "unit"])


def _answer_key(world: _World, members: pd.DataFrame, products: pd.DataFrame) -> dict:
    """The truth of the retail company: each customer's latent story, the segments, effects and associations.

    Runs after :func:`_company_tables`, whose referrals mark the ambassadors in ``persons``.
    """
    persons = world.persons
    customers = pd.DataFrame({
        "customer_id": world.customer_ids, "segment": persons["segment"], "purchase_rate": persons["purchase_rate"],
        "dropout_p": persons["dropout_p"], "spend_mean": persons["spend_level"],
        "discount_propensity": persons["discount_propensity"], "satisfaction": persons["satisfaction"],
        "alive_at_end": persons["alive_at_end"].astype(int), "purchases_future": persons["purchases_future"],
        "is_ambassador": persons["is_ambassador"].astype(int)})
    name_of = products.set_index("name")["product_id"]
    assoc = pd.DataFrame([(name_of[a], a, name_of[c], c, p) for a, c, p in purchases.ASSOCIATIONS],
                         columns=["antecedent", "antecedent_name", "consequent", "consequent_name", "probability"])
    return {
        "customers_truth": customers, "segments": _segment_table(persons),
        "campaign_effects": members[["campaign_id", "customer_id", "group", "true_effect", "true_effect_revenue"]],
        "campaigns_truth": camp.campaign_truth(members), "product_associations": assoc,
        "survey_drivers": survey.driver_truth(),
    }


def _segment_table(persons: pd.DataFrame) -> pd.DataFrame:
    """The latent segments with their realised shares, as in ``truth/segments.csv``."""
    seg_share = persons["segment"].value_counts(normalize=True)
    return pd.DataFrame([{"segment": s.name, "description": s.description, "share": round(seg_share[s.name], 4),
                          "purchase_rate_per_week": s.rate, "dropout_p": s.dropout, "spend_mean_eur": s.spend,
                          "discount_share": s.discount, "return_share": s.returns,
                          "main_channel": CHANNELS[int(np.argmax(s.channel))],
                          "main_categories": ", ".join(np.array(CATEGORIES)[np.argsort(s.categories)[::-1][:3]])}
                         for s in SEGMENTS])


#: The top of a generated company's ``company.toml``.
DESCRIPTION_HEADER = """\
{name}: generated by `python -m helpers.synth` (READY names the generator version and settings)
and described as any client's data is (see data/README.md, "A company's data"). Its files are
UTF-8 CSV with ',' separators, '.' decimals and ISO dates, and already use the course's column
names, so no [tables.X.columns] mapping is needed."""


def file_name(name: str) -> str:
    """The file a table of a generated company is written to (large ones gzip-compressed)."""
    return f"{name}.csv.gz" if name in LARGE else f"{name}.csv"


def description(data: SampleData) -> str:
    """The generated company's ``company.toml``: its facts, every table, the truth folder and the repairs its
    planted faults call for, so ``helpers.data.load_company(folder)`` reads it as any client's data."""
    facts = data.facts
    tables = {name: {"file": file_name(name)} for name in CONTRACTS if name in data.tables}  # the contract's order
    return description_text(facts.name, tables,
                            observation_end=facts.observation_end, extraction_date=facts.extraction_date,
                            founded=facts.founded, truth="truth", fixes=faults.CLEANING,
                            header=DESCRIPTION_HEADER.format(name=facts.name))


def write(data: SampleData, folder: Path | None = None) -> list[Path]:
    """Write every table as CSV (large ones gzip-compressed with a fixed header time), the answer key in
    ``truth/``, and the company's ``company.toml`` (:func:`description`)."""
    folder = Path(folder) if folder else DATA_DIR / "sample"
    (folder / "truth").mkdir(parents=True, exist_ok=True)
    (folder / "company.toml").write_text(description(data), encoding="utf-8")
    written = [folder / "company.toml"]
    for sub, tables, fmt in [("", data.tables, "%.2f"), ("truth", data.truth, "%.6g")]:
        for name, df in tables.items():
            df = df.copy()
            for col in df.columns:
                if pd.api.types.is_datetime64_any_dtype(df[col]):
                    has_time = (df[col].dropna().dt.normalize() != df[col].dropna()).any()
                    df[col] = df[col].dt.strftime("%Y-%m-%d %H:%M:%S" if has_time else "%Y-%m-%d")
            path = folder / sub / file_name(name)
            compression = {"method": "gzip", "mtime": 0, "compresslevel": 9} if name in LARGE else None
            df.to_csv(path, index=False, float_format=fmt, compression=compression, lineterminator="\n")
            written.append(path)
    return written


def main(argv: list[str] | None = None) -> int:
    """``python -m helpers.synth [FOLDER] [options]``: generate and write the sample data (or another company).

    Without options it writes the sample company to ``data/sample/`` (``make
    data``); with a folder, there. Either way the folder gets the tables, the
    answer key in ``truth/``, a ``company.toml`` (``helpers.data.load_company(folder)``
    reads it) and ``READY``. ``--seed``, ``--n-persons``, ``--shift-days``, ``--name`` and
    ``--id KIND=PATTERN`` (repeatable, e.g. ``--id customer=AS-{:06d}``) are
    the arguments of :func:`generate`.
    """
    args = _parser().parse_args(sys.argv[1:] if argv is None else argv)
    folder = Path(args.folder) if args.folder else DATA_DIR / "sample"
    try:
        ids = IdFormats(**dict(_id_option(text) for text in args.id))
        cfg = Settings(seed=args.seed, n_persons=args.n_persons, shift_days=args.shift_days, ids=ids, name=args.name)
    except TypeError as exc:  # an unknown id kind
        kinds = [f.name for f in fields(IdFormats)]
        raise SystemExit(f"python -m helpers.synth: {exc}; the id kinds are {kinds}") from exc
    except ValueError as exc:
        raise SystemExit(f"python -m helpers.synth: {exc}") from exc
    paths = write(_generate(cfg), folder)
    (folder / "READY").write_text(_stamp(cfg) + "\n")
    for p in paths:
        print(f"{p.relative_to(folder)}: {p.stat().st_size / 1e6:.2f} MB")
    return 0


def _stamp(cfg: Settings) -> str:
    """The READY line: generator version and seed, then whatever differs from the sample's settings."""
    sample = Settings(seed=cfg.seed)
    changed = [f"{f.name} {getattr(cfg, f.name)}" for f in fields(Settings) if f.name not in ("seed", "ids")
               and getattr(cfg, f.name) != getattr(sample, f.name)]
    changed += [f"{f.name} id {getattr(cfg.ids, f.name)}" for f in fields(IdFormats)
                if getattr(cfg.ids, f.name) != getattr(sample.ids, f.name)]
    return ", ".join([f"generator version {VERSION}, seed {cfg.seed}", *changed])


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m helpers.synth", description=main.__doc__.splitlines()[0])
    parser.add_argument("folder", nargs="?", help="where to write (default: data/sample)")
    parser.add_argument("--seed", type=int, default=SEED)
    parser.add_argument("--n-persons", type=int, default=N_PERSONS)
    parser.add_argument("--shift-days", type=int, default=0)
    parser.add_argument("--name", default=SAMPLE.name)
    parser.add_argument("--id", action="append", default=[], metavar="KIND=PATTERN")
    return parser


def _id_option(text: str) -> tuple[str, str]:
    kind, sep, pattern = text.partition("=")
    if not sep:
        raise SystemExit(f"--id {text!r}: write it as KIND=PATTERN, for example customer=AS-{{:06d}}")
    return kind.strip(), pattern
