"""MEDL's vocabularies: statuses, reasons, coverage, choice of law, legal bases, countries, sources.

The codes are those NAV's own consumers of MEDL spell out (MEDL's kodeverk: PeriodestatusMedl,
StatusaarsakMedl, DekningMedl, LovvalgMedl, GrunnlagMedl, KildesystemMedl, KildedokumentMedl). Which
coverage goes with which kind of period, and the national bases `FTL_2-…`, are inferred.
"""

from __future__ import annotations

from emulator.eventlog import Group

GYLD, AVST, UAVK = "GYLD", "AVST", "UAVK"
STATUSES = (GYLD, AVST, UAVK)
# Generated status changes go round this cycle, so a change always lands on another status.
STATUS_CYCLE = (UAVK, GYLD, AVST)
AVVIST, FEILREGISTRERT, OPPHORT = "Avvist", "Feilregistrert", "Opphort"
STATUSAARSAKER = (AVVIST, FEILREGISTRERT, OPPHORT)
ENDL, FORL = "ENDL", "FORL"
LOVVALG = (ENDL, FORL, UAVK)

# Coverage (DekningMedl), and whether it includes the health part.
HELSEDEL = {
    "Full": True,
    "FTL_2-6": False,
    "FTL_2-7_3_ledd_a": False,
    "FTL_2-7_3_ledd_b": True,
    "FTL_2-7a_2_ledd_a": False,
    "FTL_2-7a_2_ledd_b": True,
    "FTL_2-9_1_ledd_a": True,
    "FTL_2-9_1_ledd_b": True,
    "FTL_2-9_1_ledd_c": True,
    "FTL_2-9_2_ld_jfr_1a": False,
    "FTL_2-9_2_ld_jfr_1c": False,
    "IHT_Avtale": True,
    "IHT_Avtale_Forord": True,
    "Unntatt": False,
    "Opphor": False,
}
DEKNINGER = tuple(HELSEDEL)
# What a generated period's coverage is drawn from, and cycles through when it changes: at least two each.
COVERAGE_OPTIONS: dict[tuple[Group, bool], tuple[str, ...]] = {
    (Group.EOS, True): ("Full", "IHT_Avtale_Forord"),
    (Group.EOS, False): ("Unntatt", "IHT_Avtale_Forord"),
    (Group.OEVRIGE, True): (
        "Full",
        "FTL_2-9_1_ledd_a",
        "FTL_2-7_3_ledd_a",
        "FTL_2-9_2_ld_jfr_1a",
        "FTL_2-6",
        "FTL_2-7_3_ledd_b",
    ),
    (Group.OEVRIGE, False): ("Unntatt", "IHT_Avtale"),
}

# The EU/EEA coordination regulation's articles (GrunnlagMedl), with how often generated EOS periods use them.
EU_GRUNNLAG = {
    "FO_11_3_a": 30,
    "FO_12_1": 24,
    "FO_13_1_a": 12,
    "FO_13_1_b": 6,
    "FO_11_3_b": 5,
    "FO_11_3_e": 4,
    "FO_11_4_1": 3,
    "FO_16": 4,
    "FO_12_2": 3,
    "FO_11_2": 2,
    "FO_13_2_a": 2,
    "FO_13_2_b": 1,
    "FO_11_3_c": 1,
    "FO_13_3": 1,
    "FO_13_4": 1,
    "FO_11_4_2": 1,
}
# National law: chapter 2 of folketrygdloven; whether a period on that basis is one of membership.
NATIONAL_GRUNNLAG = {
    "FTL_2-1": True,
    "FTL_2-2": True,
    "FTL_2-5": True,
    "FTL_2-7": True,
    "FTL_2-8": True,
    "FTL_2-12": False,
    "FTL_2-13": False,
}
# Bilateral social security agreements and the partner country each is with.
BILATERAL_GRUNNLAG = {"USA_5_2": "USA", "Australia": "AUS", "Storbrit_NIrland": "GBR"}
GRUNNLAG = (*EU_GRUNNLAG, *NATIONAL_GRUNNLAG, *BILATERAL_GRUNNLAG)

NORWAY = "NOR"
# Where the EU regulation applies: the EU, the EEA's EFTA states, and Switzerland by its agreement.
EEA_COUNTRIES = (
    "NOR", "SWE", "DNK", "FIN", "ISL", "DEU", "POL", "LTU", "NLD", "FRA", "ESP", "ITA", "EST", "LVA",
    "BEL", "AUT", "PRT", "IRL", "CZE", "SVK", "HUN", "ROU", "BGR", "HRV", "SVN", "GRC", "CYP", "MLT", "LUX",
    "LIE", "CHE",
)  # fmt: skip
OTHER_COUNTRIES = ("USA", "AUS", "GBR", "CAN", "CHL", "ISR", "IND", "BRA", "PHL", "THA", "TUR", "BIH", "SRB", "MNE")
COUNTRIES = (*EEA_COUNTRIES, *OTHER_COUNTRIES)

# KildesystemMedl and KildedokumentMedl.
LAANEKASSEN = "LAANEKASSEN"
KILDER = ("APPBRK", "AVGSYS", "E500", "INFOTR", LAANEKASSEN, "MEDL", "PP01", "srvgosys", "srvmelosys", "TP", "TPS")
KILDEDOKUMENTER = ("Henv_Soknad", "SED", "Dokument", "PortBlank_A1")
EOS_KILDER = {"srvmelosys": 40, "E500": 20, "MEDL": 15, "srvgosys": 15, "TP": 5, "PP01": 5}
OEVRIGE_KILDER = {"srvgosys": 30, "srvmelosys": 20, "MEDL": 20, LAANEKASSEN: 15, "AVGSYS": 5, "APPBRK": 5, "INFOTR": 5}
KILDEDOKUMENT_OF_KILDE = {
    "srvmelosys": ("PortBlank_A1", "SED"),
    "E500": ("SED",),
    LAANEKASSEN: ("Henv_Soknad",),
}
DEFAULT_KILDEDOKUMENTER = ("Dokument", "Henv_Soknad")
STUDY_COUNTRIES = ("GBR", "USA", "AUS", "DNK", "DEU", "NLD", "POL", "ESP", "FRA", "CAN")


def is_eu_grunnlag(grunnlag: str) -> bool:
    return grunnlag in EU_GRUNNLAG


def is_national_or_bilateral(grunnlag: str) -> bool:
    return grunnlag in NATIONAL_GRUNNLAG or grunnlag in BILATERAL_GRUNNLAG
