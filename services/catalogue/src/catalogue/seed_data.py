"""The demo service grid: what each of the eight sites of DESIGN.md offers, and the network.

Ids are deterministic (`off-<site>-<slug>`), so seeding twice finds the first run's work.
"""

from __future__ import annotations

from typing import Any

DEMO_SITES: dict[str, tuple[str, str]] = {
    "site-rabat": ("Rabat", "Technopark Rabat"),
    "site-casablanca": ("Casablanca", "Technopark Casablanca"),
    "site-agadir": ("Agadir", "Technopark Agadir"),
    "site-tanger": ("Tanger", "Technopark Tanger"),
    "site-souss-massa": ("Agadir", "Cité de l'innovation Souss-Massa"),
    "site-oujda": ("Oujda", "Technopark Oujda"),
    "site-tiznit": ("Tiznit", "Technopark Tiznit"),
    "site-fes": ("Fès", "Technopark Fès"),
}

WORKDAYS = [1, 2, 3, 4, 5]
EID_AL_ADHA_2026 = {"first_day": "2026-05-26", "last_day": "2026-05-28", "reason": "Aïd al-Adha"}
THRONE_DAY = {"first_day": "2026-07-30", "last_day": "2026-07-30", "reason": "Fête du Trône"}
GREEN_MARCH = {"first_day": "2026-11-06", "last_day": "2026-11-06", "reason": "Marche verte"}


def _windows(days: list[int], opens: str, closes: str) -> list[dict[str, Any]]:
    return [{"weekday": d, "opens": opens, "closes": closes} for d in days]


# slug, category, mode, minutes, seats, (title fr, title en), (description fr, description en),
# provider (name, kind, organisation), eligibility (kinds, stages), price MAD or None, credits, windows, space
TEMPLATES: list[dict[str, Any]] = [
    {
        "slug": "mentorat-strategie",
        "category": "mentoring",
        "mode": "in_person",
        "minutes": 60,
        "seats": 1,
        "title": ("Mentorat stratégie et modèle d'affaires", "Strategy and business model mentoring"),
        "description": (
            "Une heure avec un mentor expérimenté pour challenger votre modèle d'affaires, "
            "vos hypothèses de marché et votre feuille de route.",
            "One hour with a seasoned mentor to challenge your business model, market assumptions and roadmap.",
        ),
        "provider": ("Réseau des mentors Technopark", "partner", "Réseau Entreprendre Maroc"),
        "eligibility": (["startup", "project_holder"], ["pre_incubation", "incubation", "acceleration"]),
        "price": None,
        "credits": 1,
        "windows": _windows([2, 4], "09:00", "13:00"),
        "space": ("meeting_room", 2, []),
    },
    {
        "slug": "clinique-financement",
        "category": "financing",
        "mode": "in_person",
        "minutes": 45,
        "seats": 1,
        "title": ("Clinique accès au financement", "Access-to-financing clinic"),
        "description": (
            "Préparez votre dossier Intelaka, Innov Invest ou votre levée de fonds avec un chargé "
            "d'affaires : éligibilité, pièces, plan de financement.",
            "Prepare your Intelaka or Innov Invest application or your fundraising with a relationship "
            "manager: eligibility, documents, financing plan.",
        ),
        "provider": ("Chargé d'affaires Tamwilcom", "partner", "Tamwilcom"),
        "eligibility": ([], []),
        "price": None,
        "credits": None,
        "windows": _windows([1, 3], "10:00", "16:00"),
        "space": ("meeting_room", 2, []),
    },
    {
        "slug": "clinique-juridique",
        "category": "legal_clinic",
        "mode": "in_person",
        "minutes": 30,
        "seats": 1,
        "title": ("Clinique juridique : statuts et pacte d'associés", "Legal clinic: articles and shareholders' pact"),
        "description": (
            "Un avocat d'affaires répond à vos questions sur la forme juridique, les statuts, "
            "le pacte d'associés et la propriété intellectuelle.",
            "A business lawyer answers your questions on legal form, articles of association, "
            "shareholders' agreements and intellectual property.",
        ),
        "provider": ("Maître Salma Bennani", "expert", "Cabinet Bennani & Associés"),
        "eligibility": (["startup", "tpe", "project_holder"], []),
        "price": 20000,
        "credits": None,
        "windows": _windows([3], "14:00", "17:00"),
        "space": ("meeting_room", 2, []),
    },
    {
        "slug": "clinique-expert-comptable",
        "category": "expert_clinic",
        "mode": "hybrid",
        "minutes": 45,
        "seats": 1,
        "title": ("Clinique expert-comptable et fiscalité", "Accounting and tax expert clinic"),
        "description": (
            "Statut auto-entrepreneur ou SARL, TVA, déclarations, premières embauches : "
            "un expert-comptable vous oriente.",
            "Auto-entrepreneur or SARL, VAT, tax returns, first hires: a chartered accountant guides you.",
        ),
        "provider": ("Youssef El Idrissi", "expert", "Fiduciaire Atlas"),
        "eligibility": (["tpe", "startup"], []),
        "price": 15000,
        "credits": None,
        "windows": _windows([2], "09:30", "12:30"),
        "space": ("meeting_room", 2, []),
    },
    {
        "slug": "atelier-acces-marche",
        "category": "market_access",
        "mode": "in_person",
        "minutes": 120,
        "seats": 20,
        "title": ("Atelier accès aux marchés publics", "Public procurement market access workshop"),
        "description": (
            "Comprendre les appels d'offres publics, la préférence nationale et la plateforme "
            "marchespublics.gov.ma, avec des cas pratiques.",
            "Understand public tenders, national preference and the marchespublics.gov.ma platform, "
            "with practical cases.",
        ),
        "provider": ("Équipe accompagnement", "staff", None),
        "eligibility": (["startup", "tpe"], ["incubation", "acceleration", "resident", "alumni"]),
        "price": None,
        "credits": 2,
        "windows": _windows([4], "14:00", "17:00"),
        "space": ("meeting_room", 20, ["projector"]),
    },
    {
        "slug": "afterwork-reseau",
        "category": "networking",
        "mode": "in_person",
        "minutes": 120,
        "seats": 60,
        "title": ("Afterwork réseau des résidents", "Residents' networking afterwork"),
        "description": (
            "Rencontrez les startups, partenaires et investisseurs du site autour d'un pitch libre.",
            "Meet the site's startups, partners and investors around an open pitch session.",
        ),
        "provider": ("Équipe communauté", "staff", None),
        "eligibility": ([], []),
        "price": None,
        "credits": None,
        "windows": _windows([4], "18:00", "20:00"),
        "space": ("event_hall", 60, ["sound_system"]),
    },
    {
        "slug": "salle-reunion",
        "category": "meeting_room",
        "mode": "in_person",
        "minutes": 60,
        "seats": 8,
        "title": ("Salle de réunion 8 places", "Meeting room for 8"),
        "description": (
            "Salle équipée d'un écran, d'un tableau blanc et de la visioconférence, réservable à l'heure.",
            "Room with a screen, a whiteboard and video conferencing, bookable by the hour.",
        ),
        "provider": ("Front desk", "staff", None),
        "eligibility": (["startup", "tpe", "partner"], ["incubation", "acceleration", "resident"]),
        "price": 10000,
        "credits": 1,
        "windows": _windows(WORKDAYS, "08:30", "18:30"),
        "space": ("meeting_room", 8, ["screen", "whiteboard", "video_conferencing"]),
    },
    {
        "slug": "poste-coworking",
        "category": "coworking",
        "mode": "in_person",
        "minutes": 240,
        "seats": 1,
        "title": ("Poste en open space (demi-journée)", "Hot desk (half day)"),
        "description": (
            "Un poste en espace partagé avec wifi fibre, café et accès aux événements du site.",
            "A desk in the shared area with fibre wifi, coffee and access to the site's events.",
        ),
        "provider": ("Front desk", "staff", None),
        "eligibility": ([], []),
        "price": 5000,
        "credits": None,
        "windows": _windows(WORKDAYS, "08:00", "12:00") + _windows(WORKDAYS, "13:00", "17:00"),
        "space": ("hot_desk_area", 1, ["wifi"]),
    },
    {
        "slug": "design-sprint",
        "category": "innovation",
        "mode": "in_person",
        "minutes": 180,
        "seats": 12,
        "title": ("Design sprint et prototypage", "Design sprint and prototyping"),
        "description": (
            "Une demi-journée pour passer d'une idée à un prototype testable, avec un facilitateur du fab lab.",
            "Half a day to go from an idea to a testable prototype, with a fab lab facilitator.",
        ),
        "provider": ("Fab lab", "staff", None),
        "eligibility": (["startup", "project_holder"], ["pre_incubation", "incubation"]),
        "price": None,
        "credits": 2,
        "windows": _windows([5], "09:00", "12:00"),
        "space": ("meeting_room", 12, ["whiteboard"]),
    },
    {
        "slug": "formation-pitch",
        "category": "training",
        "mode": "in_person",
        "minutes": 180,
        "seats": 15,
        "title": ("Formation : réussir son pitch investisseurs", "Training: pitching to investors"),
        "description": (
            "Structure du pitch deck, storytelling, questions des investisseurs : "
            "théorie le matin, passages filmés ensuite.",
            "Pitch deck structure, storytelling, investors' questions: theory first, then filmed rehearsals.",
        ),
        "provider": ("Nadia Alaoui", "expert", "Pitch Academy Maroc"),
        "eligibility": (["startup"], ["incubation", "acceleration"]),
        "price": 30000,
        "credits": None,
        "windows": _windows([6], "09:30", "12:30"),
        "space": ("meeting_room", 15, ["projector"]),
    },
]

# Which templates each site offers: all sites the core, larger sites more.
SITE_TEMPLATES: dict[str, list[str]] = {
    "site-rabat": [t["slug"] for t in TEMPLATES],
    "site-casablanca": [t["slug"] for t in TEMPLATES],
    "site-agadir": [
        "mentorat-strategie",
        "clinique-financement",
        "clinique-juridique",
        "atelier-acces-marche",
        "salle-reunion",
        "poste-coworking",
        "formation-pitch",
    ],
    "site-tanger": [
        "mentorat-strategie",
        "clinique-financement",
        "clinique-expert-comptable",
        "afterwork-reseau",
        "salle-reunion",
        "poste-coworking",
        "design-sprint",
    ],
    "site-souss-massa": [
        "mentorat-strategie",
        "clinique-financement",
        "design-sprint",
        "atelier-acces-marche",
        "salle-reunion",
        "formation-pitch",
    ],
    "site-oujda": [
        "mentorat-strategie",
        "clinique-financement",
        "clinique-juridique",
        "salle-reunion",
        "poste-coworking",
    ],
    "site-tiznit": [
        "mentorat-strategie",
        "clinique-financement",
        "salle-reunion",
        "poste-coworking",
        "afterwork-reseau",
    ],
    "site-fes": [
        "mentorat-strategie",
        "clinique-financement",
        "clinique-expert-comptable",
        "salle-reunion",
        "poste-coworking",
        "formation-pitch",
    ],
}

NETWORK_OFFERINGS: list[dict[str, Any]] = [
    {
        "slug": "webinaire-levee-fonds",
        "category": "financing",
        "title": ("Webinaire : préparer sa première levée de fonds", "Webinar: preparing your first funding round"),
        "description": (
            "Valorisation, BSA AIR, due diligence : un investisseur de la place répond en direct.",
            "Valuation, convertible notes, due diligence: a local investor answers live.",
        ),
        "provider": ("Karim Tazi", "expert", "Maroc Numeric Fund"),
        "minutes": 90,
        "seats": 200,
        "windows": _windows([3], "17:00", "18:30"),
    },
    {
        "slug": "mentorat-en-ligne-produit",
        "category": "mentoring",
        "title": ("Mentorat produit en ligne", "Online product mentoring"),
        "description": (
            "Trente minutes en visio avec un product manager pour prioriser votre backlog.",
            "Thirty minutes on video with a product manager to prioritise your backlog.",
        ),
        "provider": ("Communauté des product managers", "partner", "Product Maroc"),
        "minutes": 30,
        "seats": 1,
        "windows": _windows([1, 2, 3, 4, 5], "12:00", "14:00"),
    },
    {
        "slug": "clinique-propriete-intellectuelle",
        "category": "legal_clinic",
        "title": ("Clinique propriété intellectuelle (OMPIC)", "Intellectual property clinic (OMPIC)"),
        "description": (
            "Marques, brevets, dépôt de logiciels : les bons réflexes avec un conseiller OMPIC.",
            "Trademarks, patents, software filings: good practice with an OMPIC adviser.",
        ),
        "provider": ("Conseiller OMPIC", "partner", "OMPIC"),
        "minutes": 45,
        "seats": 1,
        "windows": _windows([2, 4], "10:00", "12:00"),
    },
    {
        "slug": "export-afrique",
        "category": "market_access",
        "title": ("Exporter vers l'Afrique de l'Ouest", "Exporting to West Africa"),
        "description": (
            "ZLECAf, logistique, paiements : un programme en ligne pour préparer vos premiers marchés.",
            "AfCFTA, logistics, payments: an online programme to prepare your first markets.",
        ),
        "provider": ("Conseiller export", "partner", "Morocco Foodex"),
        "minutes": 120,
        "seats": 50,
        "windows": _windows([2], "15:00", "17:00"),
    },
    {
        "slug": "rencontres-reseau-technoparks",
        "category": "networking",
        "title": ("Rencontres en ligne du réseau des Technoparks", "Technopark network online meetup"),
        "description": (
            "Chaque mois, les startups des huit sites se présentent et cherchent des partenaires.",
            "Every month, startups from the eight sites introduce themselves and look for partners.",
        ),
        "provider": ("Équipe réseau", "staff", None),
        "minutes": 90,
        "seats": 300,
        "windows": _windows([5], "16:00", "17:30"),
    },
    {
        "slug": "veille-innovation-ia",
        "category": "innovation",
        "title": ("Veille innovation : IA générative pour les TPE", "Innovation watch: generative AI for small firms"),
        "description": (
            "Cas d'usage concrets de l'IA générative pour la vente, le support et la comptabilité.",
            "Concrete uses of generative AI for sales, support and accounting.",
        ),
        "provider": ("Laboratoire innovation", "staff", None),
        "minutes": 60,
        "seats": 100,
        "windows": _windows([4], "11:00", "12:00"),
    },
    {
        "slug": "formation-marketing-digital",
        "category": "training",
        "title": ("Formation marketing digital", "Digital marketing training"),
        "description": (
            "Réseaux sociaux, SEO, campagnes payantes : un parcours de quatre sessions en ligne.",
            "Social media, SEO, paid campaigns: a four-session online course.",
        ),
        "provider": ("Imane Chraibi", "expert", "Digital Academy"),
        "minutes": 120,
        "seats": 40,
        "windows": _windows([1], "18:00", "20:00"),
    },
    {
        "slug": "clinique-rh-droit-travail",
        "category": "expert_clinic",
        "title": ("Clinique RH et droit du travail", "HR and labour law clinic"),
        "description": (
            "Contrats, CNSS, période d'essai, télétravail : un expert RH répond à vos questions.",
            "Contracts, social security, probation, remote work: an HR expert answers your questions.",
        ),
        "provider": ("Hicham Berrada", "expert", "RH Conseil"),
        "minutes": 30,
        "seats": 1,
        "windows": _windows([5], "10:00", "12:00"),
    },
]


def site_offering(site_id: str, template: dict[str, Any]) -> tuple[str, dict[str, Any]]:
    city, site_name = DEMO_SITES[site_id]
    fr_title, en_title = template["title"]
    fr_text, en_text = template["description"]
    kinds, stages = template["eligibility"]
    provider_name, provider_kind, organisation = template["provider"]
    space_kind, space_seats, features = template["space"]
    body: dict[str, Any] = {
        "site_id": site_id,
        "category": template["category"],
        "title": {"fr": f"{fr_title} — {city}", "en": f"{en_title} — {city}"},
        "description": {"fr": f"{fr_text} ({site_name})", "en": f"{en_text} ({site_name})"},
        "provider": {"name": provider_name, "kind": provider_kind, "organisation": organisation},
        "mode": template["mode"],
        "session_minutes": template["minutes"],
        "seats_per_session": template["seats"],
        "eligibility": {"member_kinds": kinds, "stages": stages},
        "price": None if template["price"] is None else {"amount_minor": template["price"], "currency": "MAD"},
        "credits": template["credits"],
        "rules": {
            "min_notice_minutes": 120,
            "max_advance_days": 60,
            "cancellation_window_minutes": 24 * 60,
            "per_member_limit": {"count": 4, "period": "month"},
        },
        "availability": template["windows"],
        "closures": [EID_AL_ADHA_2026, THRONE_DAY, GREEN_MARCH],
        "space_requirement": None
        if template["mode"] == "online"
        else {"kind": space_kind, "seats": max(space_seats, template["seats"]), "features": features},
    }
    return f"off-{site_id.removeprefix('site-')}-{template['slug']}", body


def network_offering(template: dict[str, Any]) -> tuple[str, dict[str, Any]]:
    provider_name, provider_kind, organisation = template["provider"]
    body: dict[str, Any] = {
        "site_id": None,
        "category": template["category"],
        "title": dict(zip(("fr", "en"), template["title"], strict=True)),
        "description": dict(zip(("fr", "en"), template["description"], strict=True)),
        "provider": {"name": provider_name, "kind": provider_kind, "organisation": organisation},
        "mode": "online",
        "session_minutes": template["minutes"],
        "seats_per_session": template["seats"],
        "eligibility": {"member_kinds": [], "stages": []},
        "price": None,
        "credits": None,
        "time_zone": "Africa/Casablanca",
        "availability": template["windows"],
        "closures": [EID_AL_ADHA_2026],
    }
    return f"off-network-{template['slug']}", body


def demo_offerings() -> list[tuple[str, dict[str, Any]]]:
    """Every demo offering as (id, request body)."""
    by_slug = {t["slug"]: t for t in TEMPLATES}
    offerings = [site_offering(site, by_slug[slug]) for site, slugs in SITE_TEMPLATES.items() for slug in slugs]
    return offerings + [network_offering(t) for t in NETWORK_OFFERINGS]
