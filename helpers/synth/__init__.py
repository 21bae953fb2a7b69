"""Generate the sample data of Kotiranta Oy and Aurora Park, with its truth — or another company like it.

The data is synthetic and **knows its truth**: every customer belongs to one of
six latent segments and buys according to a Pareto/NBD-like "buy till you die"
process (Poisson purchases at a personal rate while alive, a personal chance to
leave after each repeat purchase, as in Fader, Hardie & Lee 2005); campaigns
have randomised control groups and known individual effects (negative for some:
the "sleeping dogs"); survey scores come from known driver weights; a few
ambassadors bring many new customers; season-pass renewal follows a
shifted-beta-geometric-like churn with a planted three-visit effect; a win-back
automation fired by 120 days of silence runs with an always-on random holdout
and known effects per firing (persuadable, sure things, lost causes, sleeping
dogs); and a documented set of data faults is planted into the register and
the order lines.

Everything flows from one seed (:data:`SEED`): ``make data`` (``python -m
helpers.synth``) twice gives byte-identical files. Lessons never import this
package; they read the files through :mod:`helpers.data`, by the
``company.toml`` the generator writes beside them. The truth is written to
``data/sample/truth/`` and is only an answer key.

:func:`generate` with its defaults is the sample company; another seed, a date
shift, a size and other id formats give another company with the same tables
(a test fixture that shares nothing with the sample but its shape)::

    from helpers import data, synth
    other = synth.generate(seed=7, n_persons=3000, shift_days=400, name="Lumo Oy",
                           ids=synth.IdFormats(customer="AS-{:06d}", campaign="MK-{:03d}"))
    synth.write(other, "build/lumo")   # the tables, truth/ and a company.toml describing them
    data.load_company("build/lumo")      # read as any client's data (helpers.data)

The parts, one module per table family: :mod:`~helpers.synth.common` (settings,
timeline, id formats), :mod:`~helpers.synth.latent` (segments),
:mod:`~helpers.synth.people` (persons, consents, register, postal codes,
stores), :mod:`~helpers.synth.purchases` (products, purchase days, order lines,
returns), :mod:`~helpers.synth.campaigns`, :mod:`~helpers.synth.survey` (survey
and referrals), :mod:`~helpers.synth.park`, :mod:`~helpers.synth.automation`
(the win-back rule and its answer key), :mod:`~helpers.synth.faults` and
:mod:`~helpers.synth.build` (:func:`generate`, :func:`write`, :func:`main`).
"""

from helpers.synth.build import LARGE, SampleData, generate, main, write
from helpers.synth.common import MIN_PERSONS, N_PERSONS, SEED, VERSION, IdFormats, Settings
from helpers.synth.latent import SEGMENTS, Segment

__all__ = ["IdFormats", "LARGE", "MIN_PERSONS", "N_PERSONS", "SEED", "SEGMENTS", "SampleData", "Segment", "Settings",
           "VERSION", "generate", "main", "write"]
