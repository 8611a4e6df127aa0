"""Each policy mechanism on the tiny world: the direction and size of its effect.

Every test switches one lever with everything else as in the tiny scenario and compares with
the same world without it (same seed), so differences come from the lever alone.
"""

from __future__ import annotations

import math

import numpy as np

from corridor.models.corridor import Status, build_simulation
from corridor.models.corridor.states import DOCUMENTS

GTM, MEX = 0, 1
NO_CRIME = {"predation_per_100km": 0, "predation_waiting_per_day": 0}


def run(make_scenario, **parameters):
    sim = build_simulation(make_scenario(parameters=parameters))
    sim.run()
    return sim


def total(sim, name, nat=None):
    i = [ind.name for ind in sim.recorder.indicators].index(name)
    block = sim.recorder.data[:, i]
    return int(block[:, nat].sum() if nat is not None else block.sum())


def test_transit_documents_cut_detentions_not_crime(make_scenario):
    base = run(make_scenario, official_extortion_probability=0)
    docs = run(make_scenario, official_extortion_probability=0, transit_document_share={"GTM": 1.0},
               detection_document_factor={"transit_document": 0.1})
    # papers are handed out at the crossing (someone caught on the way in and deported gets new ones)
    assert total(docs, "transit_documents", GTM) >= 0.98 * total(docs, "entries_mexico", GTM) > 100
    assert total(docs, "detentions_mexico", GTM) < 0.3 * total(base, "detentions_mexico", GTM)
    # criminals ignore papers by default: the victimisation rate per entrant stays put
    rate = [total(s, "victimizations", GTM) / total(s, "entries_mexico", GTM) for s in (base, docs)]
    assert rate[1] > 0.7 * rate[0]


def test_visitor_card_protects_only_in_its_states_and_while_valid(make_scenario):
    # detection only on the entry leg into Chiapas (Tecun Uman -> Tapachula)
    params = dict(official_extortion_probability=0, mx_detection_per_100km={"Chiapas": 5.0, "*": 0.0},
                  mx_detection_waiting_per_day={"*": 0})
    base = run(make_scenario, **params)
    card = run(make_scenario, **params, visitor_card_share={"GTM": 1.0}, visitor_card_validity_days=30)
    assert total(card, "visitor_cards", GTM) > 100
    assert total(base, "detentions_mexico", GTM) > 200
    assert total(card, "detentions_mexico", GTM) == 0          # valid in Chiapas: protected
    expired = run(make_scenario, **params, visitor_card_share={"GTM": 1.0}, visitor_card_validity_days=0)
    elsewhere = run(make_scenario, **params, visitor_card_share={"GTM": 1.0}, visitor_card_validity_days=30,
                    visitor_card_region={"Tabasco": 1, "*": 0})
    for sim in (expired, elsewhere):                            # expired, or not valid in Chiapas
        assert total(sim, "detentions_mexico", GTM) == total(base, "detentions_mexico", GTM)


def test_official_extortion_replaces_recorded_detentions(make_scenario):
    sim = run(make_scenario, official_extortion_probability=1.0)
    assert total(sim, "detentions_mexico") == 0
    assert total(sim, "victimizations_by_officials") > 50


def test_collusion_hands_every_detainee_to_criminals(make_scenario):
    sim = run(make_scenario, official_extortion_probability=0, collusion_kidnap_probability=1.0, **NO_CRIME)
    assert total(sim, "detentions_mexico") > 50
    assert total(sim, "kidnappings") == total(sim, "detentions_mexico") == total(sim, "victimizations")
    assert total(sim, "deportations_mexico") == 0


def test_unaccompanied_minors_in_care_are_not_deported(make_scenario):
    minors = {"GTM": {"alone": 0, "family": 0, "unaccompanied_minor": 1}, "*": {"alone": 1, "family": 0,
                                                                              "unaccompanied_minor": 0}}
    sim = run(make_scenario, group_share=minors, minor_care_probability=1.0, official_extortion_probability=0,
              collusion_kidnap_probability=0)
    assert total(sim, "minors_in_care", GTM) == total(sim, "detentions_mexico", GTM) > 50
    assert total(sim, "deportations_mexico", GTM) == 0


def test_departure_multiplier_and_visas(make_scenario):
    base = run(make_scenario)
    half = run(make_scenario, departure_multiplier={"GTM": 0.5})
    g0, g1 = total(base, "departures", GTM), total(half, "departures", GTM)
    assert abs(g1 - g0 / 2) < 5 * math.sqrt(g0 / 2)
    assert total(half, "departures", MEX) == total(base, "departures", MEX)   # other draws untouched
    mex = base.agents.nationality == MEX
    assert np.array_equal(base.agents.uid[mex], half.agents.uid[half.agents.nationality == MEX])
    visa = run(make_scenario, visa_share={"GTM": 1.0})
    assert total(visa, "detentions_mexico", GTM) == 0 and total(visa, "entries_mexico", GTM) > 100


def test_caravans_add_departures_that_move_together_and_are_safer(make_scenario):
    # caravan members join no asylum queue here: the queue is shared, so they would change
    # others' waits (an interaction between agents, not a draw)
    params = dict(caravan_departures_per_day={"GTM": 50}, predation_caravan_factor=0.0,
                  official_extortion_probability=0.0, collusion_kidnap_probability=0.0,
                  caravan_asylum_apply_probability=0.0, retry_after_mx_deportation=0.0,
                  retry_after_us_return=0.0)   # someone who tries again travels alone
    sim = run(make_scenario, **params)
    n_car = total(sim, "caravan_departures")
    assert abs(n_car - 50 * 90) < 5 * math.sqrt(50 * 90)
    base = run(make_scenario)
    # caravans are drawn apart from ordinary departures, which stay exactly as they were
    assert total(sim, "departures") - n_car == total(base, "departures")
    i = [ind.name for ind in sim.recorder.indicators].index("victimizations")
    # a caravan member is never attacked while travelling (factor 0); waiting hazards are off here
    quiet = run(make_scenario, **params, predation_waiting_per_day=0)
    v = quiet.recorder.data[:, i].sum()
    solo = run(make_scenario, predation_waiting_per_day=0, official_extortion_probability=0.0,
               collusion_kidnap_probability=0.0, retry_after_mx_deportation=0.0, retry_after_us_return=0.0)
    assert v == solo.recorder.data[:, i].sum()   # only non-caravan people are victims, and they are the same


def test_caravan_visas_on_entry(make_scenario):
    sim = run(make_scenario, caravan_departures_per_day={"GTM": 40}, caravan_visa_probability=1.0,
              caravan_asylum_apply_probability=0.0)
    a = sim.agents
    car = (a.caravan == 1) & (a.nationality == GTM)
    assert total(sim, "humanitarian_visas", GTM) > 100
    entered = car & (a.documents == DOCUMENTS.index("visa"))
    assert entered.sum() == total(sim, "humanitarian_visas", GTM)


def test_camp_distance_raises_apprehension_as_the_formula_says(make_scenario):
    p, k, km = 0.5, 0.05, 17.7
    params = dict(us_apprehension_probability=p, us_crossing_death_probability=0, **NO_CRIME)
    far = run(make_scenario, **params, crossing_extra_km={"reynosa": km}, apprehension_per_extra_km=k)
    n = total(far, "crossing_attempts_us")
    share = total(far, "apprehensions_us") / n
    expected = 1 - (1 - p) * math.exp(-k * km)
    assert n > 300
    assert abs(share - expected) < 4 * math.sqrt(expected * (1 - expected) / n)


def test_stay_in_mexico_makes_asylum_seekers_wait_in_the_border_city(make_scenario):
    params = dict(us_asylum_claim_probability={"GTM": 1.0, "MEX": 0.0}, mpp_wait_days=40,
                  us_asylum_grant_probability=1.0,         # nobody travels as an unaccompanied minor (never sent back)
                  group_share={"*": {"alone": 0.6, "family": 0.4, "unaccompanied_minor": 0.0}})
    released = run(make_scenario, **params, mpp_share=0.0)
    mpp = run(make_scenario, **params, mpp_share=1.0)
    assert total(mpp, "mpp_enrollments", GTM) == total(mpp, "us_asylum_claims", GTM) == \
        total(mpp, "apprehensions_us", GTM) > 20
    assert total(released, "mpp_enrollments") == 0
    assert total(mpp, "waiting_north", GTM) > total(released, "waiting_north", GTM)
    assert total(mpp, "us_asylum_grants", GTM) > 0
    assert (mpp.agents.status == int(Status.WAITING_US_HEARING)).sum() > 0


def test_flights_to_southern_mexico_end_in_expulsion(make_scenario):
    sim = run(make_scenario, us_return_to_border_share=0.0, us_removal_to_south_mexico_share={"GTM": 1.0},
              us_apprehension_probability=0.9, retry_after_mx_deportation=0.0, official_extortion_probability=0)
    flown = total(sim, "us_flights_south_mexico", GTM)
    assert flown > 50
    tap = sim.network.index("tapachula")
    i = [ind.name for ind in sim.recorder.indicators].index("us_flights_south_mexico")
    assert sim.recorder.data[:, i, GTM, tap].sum() == flown
    i = [ind.name for ind in sim.recorder.indicators].index("deportations_mexico")
    assert sim.recorder.data[:, i, GTM, tap].sum() >= 0.9 * flown - 5   # expelled within days


def test_interior_arrests_and_consular_defence(make_scenario):
    params = dict(us_interior_arrest_per_year=20.0, us_removal_probability=1.0, us_apprehension_probability=0.2)
    sim = run(make_scenario, **params)
    arrests = total(sim, "us_interior_arrests")
    assert arrests > 100 and total(sim, "us_removals") == arrests
    defended = run(make_scenario, **params, consular_defence_factor={"MEX": 0.0})
    assert total(defended, "us_removals", MEX) == 0 < total(defended, "us_interior_arrests", MEX)
    assert total(defended, "us_removals", GTM) > 0                # only Mexicans have consular lawyers
    # removed people are back in the simulation, returned home
    a = sim.agents
    assert ((a.status == int(Status.RETURNED_BY_US)) & a.live).sum() > 0


def test_lawful_pathway_moves_crossings_to_ports(make_scenario):
    """A share of those ready to cross go to a port of entry (parole, appointments): they enter,
    and are neither attempts between ports nor apprehensions; the others cross as before."""
    params = dict(us_apprehension_probability=0.9, us_crossing_death_probability=0, **NO_CRIME)
    base = run(make_scenario, **params)
    ports = run(make_scenario, **params, port_entry_share={"GTM": 0.6})
    at_ports = total(ports, "port_entries_us", GTM)
    ready = at_ports + total(ports, "crossing_attempts_us", GTM)
    assert total(base, "port_entries_us") == 0
    assert ready > 100
    assert abs(at_ports / ready - 0.6) < 4 * math.sqrt(0.24 / ready)
    assert total(ports, "apprehensions_us", GTM) < 0.6 * total(base, "apprehensions_us", GTM)
    assert total(ports, "apprehensions_us", MEX) == total(base, "apprehensions_us", MEX)   # another nationality
    assert total(ports, "entries_us", GTM) + at_ports > total(base, "entries_us", GTM)
