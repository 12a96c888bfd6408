"""The demo network's prices: who invoices for each site and what things cost there (MAD, before VAT).

The eight sites are DESIGN.md's (spaces publishes them; ids are the contract between the demo's
seeders). Seven are Technoparks run by one company, invoicing under one series (MITC); the
Souss-Massa innovation city is a university's, with its own entity, series and lower prices.
"""

from __future__ import annotations

from datetime import date

from billing.domain.prices import CreditPack, Discount, LegalEntity, PriceList
from parkgrid.contracts.common import MemberKind, ProgrammeStage, SpaceKind

MITC = LegalEntity(
    code="MITC",
    name="Moroccan Information Technopark Company SA",
    ice="001525369000088",
    address="Route de Nouaceur, angle RS 114 et CT 1029, Casablanca",
)
CISM = LegalEntity(
    code="CISM",
    name="Cité de l'innovation Souss-Massa, Université Ibn Zohr",
    ice="002187645000034",
    address="Avenue Tamesoult, Agadir",
)

PROGRAMME_RATES = (
    Discount(label="Pré-incubation", percent=70, stage=ProgrammeStage.PRE_INCUBATION),
    Discount(label="Incubation, 18 premiers mois", percent=50, stage=ProgrammeStage.INCUBATION, within_months=18),
    Discount(label="Porteur de projet", percent=30, member_kind=MemberKind.PROJECT_HOLDER),
)

# site, entity, office/month, desk/seat/month, room/hour, day pass (centimes)
SITES: list[tuple[str, LegalEntity, int, int, int, int]] = [
    ("site-casablanca", MITC, 550_000, 140_000, 18_000, 12_000),
    ("site-rabat", MITC, 500_000, 130_000, 15_000, 10_000),
    ("site-tanger", MITC, 450_000, 120_000, 15_000, 10_000),
    ("site-agadir", MITC, 380_000, 100_000, 12_000, 8_000),
    ("site-fes", MITC, 350_000, 95_000, 12_000, 8_000),
    ("site-oujda", MITC, 300_000, 80_000, 10_000, 6_000),
    ("site-tiznit", MITC, 250_000, 70_000, 8_000, 5_000),
    ("site-souss-massa", CISM, 200_000, 60_000, 8_000, 5_000),
]


def room_packs(room_hour: int) -> tuple[CreditPack, ...]:
    """The room-hour packs every demo site sells: ten hours for nine, twenty-five for twenty."""
    return (
        CreditPack(
            code="salle-10h", label="Pack 10 heures de salle", room_hours=10, price=9 * room_hour, valid_months=3
        ),
        CreditPack(
            code="salle-25h", label="Pack 25 heures de salle", room_hours=25, price=20 * room_hour, valid_months=6
        ),
    )


def demo_price_lists(effective_from: date) -> list[PriceList]:
    return [
        PriceList(
            site_id=site_id,
            version=0,
            effective_from=effective_from,
            legal_entity=entity,
            monthly={SpaceKind.PRIVATE_OFFICE: office, SpaceKind.DEDICATED_DESK: desk},
            room_hour=room,
            day_pass=day_pass,
            included_room_hours=4,
            late_cancellation_percent=50,
            no_show_percent=100,
            discounts=PROGRAMME_RATES,
            credit_packs=room_packs(room),
        )
        for site_id, entity, office, desk, room, day_pass in SITES
    ]


def demo_ice(member_id: str) -> str:
    """A 15-digit ICE for a demo organisation, the same on every run (fictional, never a real one's)."""
    digits = str(int.from_bytes(member_id.encode(), "big") % 10**9).zfill(9)
    return f"003{digits}000"
