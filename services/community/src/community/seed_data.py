# ruff: noqa: E501 - data tables read best one row per line
"""The demo community: 40 member organisations over the eight sites, and 12 community events.

Ids are stable (`member-<slug>`, `person-<slug>-<n>`, `cevt-<slug>`) so other services'
seeds and the demo logins can name them.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from parkgrid.contracts.common import MemberKind, ProgrammeStage

SITES = [
    "site-rabat",
    "site-casablanca",
    "site-agadir",
    "site-tanger",
    "site-souss-massa",
    "site-oujda",
    "site-tiznit",
    "site-fes",
]

K, S = MemberKind, ProgrammeStage

# slug, name, kind, sector, site, stage, cohort, started_on, people (first name, last name, role)
MEMBERS: list[tuple[str, str, MemberKind, str, str, ProgrammeStage, str | None, date, list[tuple[str, str, str]]]] = [
    ("atlas-robotics", "Atlas Robotics", K.STARTUP, "robotics", "site-rabat", S.INCUBATION, "2026-A", date(2026, 2, 2),
     [("Yasmine", "Benali", "CEO"), ("Karim", "Alaoui", "CTO"), ("Sara", "Idrissi", "Engineer")]),
    ("argan-data", "Argan Data", K.STARTUP, "agritech", "site-agadir", S.ACCELERATION, "2025-B", date(2025, 9, 15),
     [("Omar", "Tazi", "CEO"), ("Hind", "Berrada", "Data scientist")]),
    ("medina-pay", "Medina Pay", K.STARTUP, "fintech", "site-casablanca", S.RESIDENT, "2025-A", date(2025, 3, 3),
     [("Mehdi", "Chraibi", "CEO"), ("Salma", "Fassi", "CFO"), ("Anas", "Kettani", "Developer"), ("Nora", "Amrani", "Designer")]),
    ("sahara-solar", "Sahara Solar", K.TPE, "energy", "site-souss-massa", S.INCUBATION, "2026-A", date(2026, 1, 12),
     [("Rachid", "Ouazzani", "Manager"), ("Imane", "Bennani", "Engineer")]),
    ("tanja-logistics", "Tanja Logistics", K.STARTUP, "logistics", "site-tanger", S.PRE_INCUBATION, "2026-B", date(2026, 9, 7),
     [("Adil", "Lahlou", "Founder"), ("Meryem", "Sqalli", "Co-founder")]),
    ("oujda-edtech", "Oujda EdTech", K.PROJECT_HOLDER, "edtech", "site-oujda", S.PRE_INCUBATION, "2026-B", date(2026, 10, 5),
     [("Yassine", "Bouzidi", "Project holder")]),
    ("tiznit-silver", "Tiznit Silver Craft", K.TPE, "crafts", "site-tiznit", S.INCUBATION, "2026-A", date(2026, 3, 9),
     [("Fatima", "Aït Lahcen", "Manager"), ("Brahim", "Oubella", "Artisan")]),
    ("fes-heritage", "Fès Heritage VR", K.STARTUP, "tourism", "site-fes", S.INCUBATION, "2026-A", date(2026, 2, 16),
     [("Ghita", "Filali", "CEO"), ("Hamza", "Skalli", "3D developer")]),
    ("cloudnomad", "CloudNomad", K.STARTUP, "software", "site-rabat", S.ACCELERATION, "2025-B", date(2025, 10, 1),
     [("Reda", "Benjelloun", "CEO"), ("Laila", "Mansouri", "CTO"), ("Ayoub", "Naciri", "DevOps")]),
    ("ocp-open-lab", "Open Innovation Lab", K.PARTNER, "mining & chemistry", "site-rabat", S.RESIDENT, None, date(2024, 1, 8),
     [("Nadia", "El Mansouri", "Partnership lead"), ("Youssef", "Hajji", "Programme officer")]),
    ("souk-connect", "Souk Connect", K.STARTUP, "e-commerce", "site-casablanca", S.INCUBATION, "2026-A", date(2026, 1, 19),
     [("Amine", "Guessous", "CEO"), ("Kenza", "Bennis", "Marketing")]),
    ("darna-health", "Darna Health", K.STARTUP, "healthtech", "site-casablanca", S.ACCELERATION, "2025-B", date(2025, 9, 1),
     [("Dr. Leila", "Sefrioui", "CEO"), ("Othmane", "Rami", "CTO"), ("Zineb", "Kabbaj", "Product")]),
    ("atlas-drones", "Atlas Drones", K.STARTUP, "aerospace", "site-casablanca", S.PRE_INCUBATION, "2026-B", date(2026, 10, 12),
     [("Ilyas", "Berrada", "Founder")]),
    ("bluewave-fish", "BlueWave Aquaculture", K.TPE, "aquaculture", "site-agadir", S.INCUBATION, "2026-A", date(2026, 2, 2),
     [("Said", "Amzil", "Manager"), ("Houda", "Ait Ali", "Biologist")]),
    ("agri-sense", "AgriSense Souss", K.STARTUP, "agritech", "site-souss-massa", S.ACCELERATION, "2025-B", date(2025, 10, 6),
     [("Hassan", "Id Belkacem", "CEO"), ("Soukaina", "Bouhali", "IoT engineer")]),
    ("argan-cosmetics", "Argan Cosmetics Coop", K.TPE, "cosmetics", "site-souss-massa", S.ALUMNI, "2024-A", date(2024, 2, 5),
     [("Aicha", "Oubaha", "President")]),
    ("strait-shipping", "Strait Shipping Tech", K.STARTUP, "maritime", "site-tanger", S.INCUBATION, "2026-A", date(2026, 1, 26),
     [("Nabil", "Temsamani", "CEO"), ("Rim", "Azzouzi", "CTO")]),
    ("north-auto", "North Auto Parts", K.TPE, "automotive", "site-tanger", S.RESIDENT, "2025-A", date(2025, 4, 7),
     [("Khalid", "Bakkali", "Manager"), ("Samira", "Touimi", "Quality"), ("Jamal", "Haddou", "Engineer")]),
    ("tanger-med-partner", "Port Innovation Partners", K.PARTNER, "logistics", "site-tanger", S.RESIDENT, None, date(2024, 6, 3),
     [("Hicham", "Ziani", "Partnership lead")]),
    ("oriental-olive", "Oriental Olive", K.TPE, "agrifood", "site-oujda", S.INCUBATION, "2026-A", date(2026, 3, 2),
     [("Mustapha", "Boudlal", "Manager"), ("Siham", "Lakhdar", "Sales")]),
    ("oujda-code", "Oujda Code Academy", K.PROJECT_HOLDER, "education", "site-oujda", S.PRE_INCUBATION, "2026-B", date(2026, 10, 19),
     [("Anouar", "Kaddouri", "Project holder"), ("Wafae", "Hamdi", "Trainer")]),
    ("tiznit-solar-pump", "SolarPump Tiznit", K.PROJECT_HOLDER, "water", "site-tiznit", S.PRE_INCUBATION, "2026-B", date(2026, 9, 21),
     [("Lahcen", "Akhiat", "Project holder")]),
    ("amazigh-apps", "Amazigh Apps", K.STARTUP, "software", "site-tiznit", S.INCUBATION, "2026-A", date(2026, 2, 23),
     [("Tariq", "Oussaid", "CEO"), ("Malika", "Agnaou", "Developer")]),
    ("fes-leather", "Fès Leather Lab", K.TPE, "crafts", "site-fes", S.ACCELERATION, "2025-B", date(2025, 9, 22),
     [("Abdelali", "Tazi", "Manager"), ("Najat", "Cherkaoui", "Designer")]),
    ("qarawiyyin-ai", "Qarawiyyin AI", K.STARTUP, "artificial intelligence", "site-fes", S.PRE_INCUBATION, "2026-B", date(2026, 10, 26),
     [("Soufiane", "Alami", "Founder"), ("Asmae", "Zerhouni", "ML engineer")]),
    ("rabat-legaltech", "Dalil LegalTech", K.STARTUP, "legaltech", "site-rabat", S.PRE_INCUBATION, "2026-B", date(2026, 9, 28),
     [("Hajar", "Benkirane", "Founder"), ("Ismail", "Sbai", "Developer")]),
    ("greencity-mobility", "GreenCity Mobility", K.STARTUP, "mobility", "site-rabat", S.RESIDENT, "2025-A", date(2025, 2, 3),
     [("Younes", "Lamrani", "CEO"), ("Sanaa", "Jaidi", "Operations"), ("Walid", "Cherradi", "Engineer")]),
    ("bab-digital", "Bab Digital Agency", K.TPE, "digital marketing", "site-rabat", S.ALUMNI, "2023-B", date(2023, 9, 4),
     [("Karima", "Ouali", "Manager")]),
    ("casa-biotech", "Casa BioTech", K.STARTUP, "biotech", "site-casablanca", S.INCUBATION, "2026-A", date(2026, 2, 9),
     [("Dr. Samir", "Lazrak", "CSO"), ("Meriem", "Tahiri", "CEO")]),
    ("anfa-insur", "Anfa InsurTech", K.STARTUP, "insurtech", "site-casablanca", S.ALUMNI, "2024-A", date(2024, 1, 15),
     [("Driss", "Bennouna", "CEO"), ("Lamia", "Hakam", "CTO")]),
    ("bank-open-partner", "Open Banking Partners", K.PARTNER, "finance", "site-casablanca", S.RESIDENT, None, date(2024, 3, 4),
     [("Rania", "Squalli", "Innovation manager")]),
    ("agadir-surf-tech", "SurfTech Agadir", K.STARTUP, "sport & tourism", "site-agadir", S.PRE_INCUBATION, "2026-B", date(2026, 10, 5),
     [("Mourad", "Ait Baha", "Founder")]),
    ("souss-water", "Souss Water Analytics", K.STARTUP, "water", "site-agadir", S.INCUBATION, "2026-A", date(2026, 1, 5),
     [("Khadija", "Essaidi", "CEO"), ("Zakaria", "Moumen", "Engineer")]),
    ("agadir-halieutis", "Halieutis Tech", K.PARTNER, "fisheries", "site-agadir", S.RESIDENT, None, date(2024, 5, 6),
     [("Abdellah", "Nait", "Programme officer")]),
    ("saffron-taliouine", "Taliouine Saffron Tech", K.TPE, "agrifood", "site-souss-massa", S.PRE_INCUBATION, "2026-B", date(2026, 9, 14),
     [("Hafida", "Ait Ouarab", "Manager")]),
    ("tanger-fashion", "Tanger Fashion Lab", K.PROJECT_HOLDER, "fashion", "site-tanger", S.PRE_INCUBATION, "2026-B", date(2026, 10, 12),
     [("Chaimae", "Slaoui", "Project holder"), ("Bilal", "Mernissi", "Designer")]),
    ("oujda-renewables", "Oriental Renewables", K.STARTUP, "energy", "site-oujda", S.ACCELERATION, "2025-B", date(2025, 10, 13),
     [("Redouane", "Bekkali", "CEO"), ("Ibtissam", "Kharroubi", "Engineer")]),
    ("tiznit-argan-export", "Tiznit Argan Export", K.TPE, "export", "site-tiznit", S.ALUMNI, "2024-B", date(2024, 9, 2),
     [("Mohamed", "Akkouh", "Manager")]),
    ("fes-medtech", "Fès MedTech", K.STARTUP, "healthtech", "site-fes", S.INCUBATION, "2026-A", date(2026, 1, 26),
     [("Sofia", "Benchekroun", "CEO"), ("Adnane", "Mekouar", "Biomedical engineer")]),
    ("fes-university-partner", "University Innovation Office", K.PARTNER, "research", "site-fes", S.RESIDENT, None, date(2024, 2, 12),
     [("Pr. Aziz", "Belhaj", "Director")]),
]  # fmt: skip


def person_id(slug: str, index: int) -> str:
    return f"person-{slug}-{index + 1}"


def members() -> list[dict[str, Any]]:
    out = []
    for slug, name, kind, sector, site, stage, cohort, started_on, people in MEMBERS:
        domain = slug.replace("-", "") + ".ma"
        out.append(
            {
                "member_id": f"member-{slug}",
                "name": name,
                "kind": kind,
                "sector": sector,
                "home_site_id": site,
                "stage": stage,
                "cohort": cohort,
                "started_on": started_on,
                "people": [
                    {
                        "person_id": person_id(slug, i),
                        "name": f"{first} {last}",
                        "email": f"{first.split()[-1].lower()}.{last.split()[-1].lower()}@{domain}",
                        "role": role,
                    }
                    for i, (first, last, role) in enumerate(people)
                ],
            }
        )
    return out


HALL = {"kind": "event_hall", "seats": 100, "features": ["sound_system"]}
ROOM = {"kind": "meeting_room", "seats": 12, "features": ["screen"]}
SMALL = {"kind": "meeting_room", "seats": 8, "features": ["screen"]}

# slug, site (None = online), kind, mode, title fr, title en, week offset, weekday (1=Mon), start, hours, capacity,
# venue requirement, audience kinds, audience stages
EVENTS: list[tuple[Any, ...]] = [
    ("demo-day-rabat", "site-rabat", "demo_day", "in_person", "Demo Day Rabat", "Rabat Demo Day", 2, 4, "14:00", 3, 100, HALL, [], []),
    ("pitch-casablanca", "site-casablanca", "pitch_session", "in_person", "Session de pitch investisseurs", "Investor pitch session", 1, 3, "10:00", 2, 80, HALL, ["startup"], ["incubation", "acceleration"]),
    ("networking-tanger", "site-tanger", "networking", "hybrid", "Afterwork du détroit", "Strait afterwork", 1, 4, "17:00", 1, 90, HALL, [], []),
    ("fundraising-online", None, "training", "online", "Lever des fonds : les bases", "Fundraising basics", 1, 2, "11:00", 2, 300, None, ["startup", "project_holder"], []),
    ("agritech-agadir", "site-agadir", "workshop", "in_person", "Atelier agritech", "Agritech workshop", 2, 2, "10:00", 3, 12, ROOM, [], []),
    ("iot-souss-massa", "site-souss-massa", "training", "in_person", "Formation IoT agricole", "Farm IoT training", 3, 3, "09:30", 3, 12, ROOM, [], ["incubation", "acceleration"]),
    ("export-oujda", "site-oujda", "workshop", "in_person", "Exporter vers l'Europe", "Exporting to Europe", 2, 3, "10:00", 2, 8, SMALL, ["tpe", "startup"], []),
    ("design-thinking-tiznit", "site-tiznit", "workshop", "in_person", "Design thinking", "Design thinking", 2, 4, "10:00", 3, 8, SMALL, [], []),
    ("heritage-fes", "site-fes", "networking", "in_person", "Rencontre patrimoine et numérique", "Heritage meets digital", 3, 2, "15:00", 2, 12, ROOM, [], []),
    ("legal-online", None, "training", "online", "Statuts et pacte d'associés", "Articles and shareholder agreements", 2, 1, "16:00", 1, 200, None, [], ["pre_incubation", "incubation"]),
    ("ai-clinic-rabat", "site-rabat", "workshop", "in_person", "Clinique IA générative", "Generative AI clinic", 3, 2, "10:00", 2, 12, ROOM, ["startup"], []),
    ("alumni-casablanca", "site-casablanca", "networking", "in_person", "Soirée des alumni", "Alumni evening", 4, 4, "17:00", 1, 100, HALL, [], ["alumni", "resident", "acceleration"]),
]  # fmt: skip
