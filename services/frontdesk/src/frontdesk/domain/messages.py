"""The web app's words in French and English, and which language a visitor reads.

A tiny catalogue rather than gettext: the app has a few dozen strings, and a missing
translation must show the English text, never a key.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping

from parkgrid.contracts.common import LocalizedText

LANGUAGES = ("fr", "en")
DEFAULT_LANGUAGE = "fr"

Translate = Callable[..., str]

MESSAGES: dict[str, dict[str, str]] = {
    "app.name": {"en": "ParkGrid front desk", "fr": "ParkGrid accueil"},
    "nav.today": {"en": "Today", "fr": "Aujourd'hui"},
    "nav.members": {"en": "Members", "fr": "Membres"},
    "nav.waitlist": {"en": "Office waitlist", "fr": "Liste d'attente bureaux"},
    "nav.sites": {"en": "Sites", "fr": "Sites"},
    "nav.services": {"en": "Services", "fr": "Services"},
    "nav.sign_out": {"en": "Sign out", "fr": "Se déconnecter"},
    "nav.skip": {"en": "Skip to content", "fr": "Aller au contenu"},
    "language": {"en": "Language", "fr": "Langue"},
    "unavailable": {
        "en": "{service} is unavailable right now; the rest of the page works.",
        "fr": "{service} est indisponible pour le moment ; le reste de la page fonctionne.",
    },
    "not_built": {
        "en": "{service} does not offer this yet.",
        "fr": "{service} ne propose pas encore ceci.",
    },
    "input.day": {
        "en": "“{value}” is not a date the park can show (from {earliest} to {latest}); showing {shown} instead.",
        "fr": "« {value} » n'est pas une date possible (du {earliest} au {latest}) ; voici le {shown}.",
    },
    "input.text": {
        "en": "“{value}” cannot be searched: control characters are not allowed, at most {limit} characters.",
        "fr": "« {value} » ne peut pas être cherché : pas de caractères de contrôle, {limit} caractères au plus.",
    },
    "signin.title": {"en": "Sign in", "fr": "Connexion"},
    "signin.token": {"en": "Access token", "fr": "Jeton d'accès"},
    "signin.token_hint": {
        "en": "Paste a token from your organisation's sign-in, or from `parkgrid token`.",
        "fr": "Collez un jeton de votre organisation, ou de `parkgrid token`.",
    },
    "signin.submit": {"en": "Sign in", "fr": "Se connecter"},
    "signin.demo": {"en": "Demo logins (local development)", "fr": "Connexions de démonstration (développement)"},
    "signin.demo_staff": {"en": "Front desk of", "fr": "Accueil de"},
    "signin.demo_member": {"en": "Member", "fr": "Membre"},
    "signin.member_id": {"en": "Member organisation id", "fr": "Identifiant de l'organisation"},
    "signin.person_id": {"en": "Person id", "fr": "Identifiant de la personne"},
    "signin.site_id": {"en": "Site", "fr": "Site"},
    "signin.as_staff": {"en": "Sign in as front desk", "fr": "Entrer comme accueil"},
    "signin.as_member": {"en": "Sign in as member", "fr": "Entrer comme membre"},
    "signin.invalid": {"en": "This token is not valid: {reason}", "fr": "Ce jeton n'est pas valide : {reason}"},
    "signin.no_demo_member": {
        "en": "No member organisation was found to sign in as; give its id.",
        "fr": "Aucune organisation trouvée ; indiquez son identifiant.",
    },
    "sites.title": {"en": "Pick your site", "fr": "Choisissez votre site"},
    "today.title": {"en": "Today at {site}", "fr": "Aujourd'hui à {site}"},
    "today.bookings": {"en": "Bookings by hour", "fr": "Réservations par heure"},
    "today.events": {"en": "Events", "fr": "Événements"},
    "today.rooms": {"en": "Rooms", "fr": "Salles"},
    "today.live": {"en": "Live", "fr": "En direct"},
    "today.live_hint": {
        "en": "New bookings, registrations and reservations appear here without reloading.",
        "fr": "Les nouvelles réservations et inscriptions apparaissent ici sans recharger.",
    },
    "today.no_bookings": {"en": "No booking today.", "fr": "Aucune réservation aujourd'hui."},
    "today.no_events": {"en": "No event today.", "fr": "Aucun événement aujourd'hui."},
    "today.date": {"en": "Day", "fr": "Jour"},
    "today.show": {"en": "Show", "fr": "Afficher"},
    "checkin.title": {"en": "Check in an event registration", "fr": "Enregistrer une inscription"},
    "checkin.event": {"en": "Event", "fr": "Événement"},
    "checkin.token": {"en": "Ticket code (QR)", "fr": "Code du billet (QR)"},
    "checkin.submit": {"en": "Check in", "fr": "Enregistrer l'arrivée"},
    "checkin.done": {"en": "{name} is checked in.", "fr": "{name} est enregistré·e."},
    "members.title": {"en": "Find a member", "fr": "Trouver un membre"},
    "members.query": {"en": "Name", "fr": "Nom"},
    "members.search": {"en": "Search", "fr": "Rechercher"},
    "members.none": {"en": "No member matches.", "fr": "Aucun membre ne correspond."},
    "member.people": {"en": "People", "fr": "Personnes"},
    "member.stage": {"en": "Programme stage", "fr": "Étape du programme"},
    "member.kind": {"en": "Kind", "fr": "Type"},
    "book.title": {"en": "Book on their behalf", "fr": "Réserver pour eux"},
    "book.offering": {"en": "Offering", "fr": "Prestation"},
    "book.person": {"en": "Person", "fr": "Personne"},
    "book.starts_at": {"en": "Start", "fr": "Début"},
    "book.party_size": {"en": "People", "fr": "Personnes"},
    "book.submit": {"en": "Book", "fr": "Réserver"},
    "book.waitlist": {"en": "Join the waitlist", "fr": "Rejoindre la liste d'attente"},
    "book.full": {
        "en": "This session is full. You can join its waitlist.",
        "fr": "Cette séance est complète. Vous pouvez rejoindre la liste d'attente.",
    },
    "book.choose_slot": {"en": "Free slots", "fr": "Créneaux libres"},
    "book.no_slots": {"en": "No free slot in these days.", "fr": "Aucun créneau libre ces jours-ci."},
    "book.remaining": {"en": "{remaining} of {seats} left", "fr": "{remaining} sur {seats} restantes"},
    "book.not_eligible": {"en": "You cannot book this: {reason}", "fr": "Vous ne pouvez pas réserver : {reason}"},
    "booking.title": {"en": "Booking", "fr": "Réservation"},
    "booking.status": {"en": "Status", "fr": "Statut"},
    "booking.cancel": {"en": "Cancel this booking", "fr": "Annuler cette réservation"},
    "booking.check_in": {"en": "Check in", "fr": "Enregistrer l'arrivée"},
    "booking.pending_hint": {
        "en": "Waiting for a room; this updates by itself.",
        "fr": "En attente d'une salle ; cette page se met à jour toute seule.",
    },
    "status.pending": {"en": "pending", "fr": "en attente"},
    "status.confirmed": {"en": "confirmed", "fr": "confirmée"},
    "status.rejected": {"en": "rejected", "fr": "refusée"},
    "status.cancelled": {"en": "cancelled", "fr": "annulée"},
    "status.checked_in": {"en": "checked in", "fr": "arrivé·e"},
    "status.completed": {"en": "completed", "fr": "terminée"},
    "status.no_show": {"en": "no show", "fr": "absent·e"},
    "status.waitlisted": {"en": "on the waitlist", "fr": "en liste d'attente"},
    "status.free": {"en": "free", "fr": "libre"},
    "status.reserved": {"en": "reserved", "fr": "réservée"},
    "status.resident": {"en": "resident", "fr": "occupée (résident)"},
    "residency.title": {"en": "Residency", "fr": "Résidence"},
    "residency.space": {"en": "Office or desk", "fr": "Bureau ou poste"},
    "residency.starts_on": {"en": "From", "fr": "Du"},
    "residency.ends_on": {"en": "Until (optional)", "fr": "Jusqu'au (facultatif)"},
    "residency.allocate": {"en": "Allocate", "fr": "Attribuer"},
    "residency.end": {"en": "End this residency", "fr": "Mettre fin à la résidence"},
    "residency.allocated": {"en": "Residency {id} allocated.", "fr": "Résidence {id} attribuée."},
    "residency.ended": {"en": "Residency {id} ended.", "fr": "Résidence {id} terminée."},
    "waitlist.title": {"en": "Office waitlist", "fr": "Liste d'attente des bureaux"},
    "waitlist.seats": {"en": "office for {seats}", "fr": "bureau pour {seats}"},
    "waitlist.accept": {"en": "Confirm the offer", "fr": "Confirmer l'offre"},
    "waitlist.accepted": {"en": "The residency starts.", "fr": "La résidence commence."},
    "waitlist.empty": {"en": "Nobody is waiting.", "fr": "Personne n'attend."},
    "home.title": {"en": "Welcome, {name}", "fr": "Bienvenue, {name}"},
    "home.grid": {"en": "Services you can book", "fr": "Services accessibles"},
    "home.grid_none": {"en": "No service is open to you right now.", "fr": "Aucun service ne vous est ouvert."},
    "home.bookings": {"en": "Your bookings", "fr": "Vos réservations"},
    "home.no_bookings": {"en": "No booking yet.", "fr": "Aucune réservation."},
    "home.waitlist": {"en": "Your waitlists", "fr": "Vos listes d'attente"},
    "home.entitlements": {"en": "Your entitlements", "fr": "Vos droits"},
    "home.entitlement_line": {
        "en": "{category}: {remaining} of {allowance} credits left until {until}",
        "fr": "{category} : {remaining} crédits sur {allowance} jusqu'au {until}",
    },
    "home.events": {"en": "Community events", "fr": "Événements de la communauté"},
    "home.register": {"en": "Register", "fr": "S'inscrire"},
    "home.registered": {"en": "You are registered ({status}).", "fr": "Vous êtes inscrit·e ({status})."},
    "ticket.title": {"en": "Your ticket", "fr": "Votre billet"},
    "ticket.qr": {"en": "QR code of your ticket", "fr": "QR code de votre billet"},
    "home.calendar": {"en": "Calendar feed", "fr": "Flux d'agenda"},
    "home.calendar_hint": {
        "en": "Add this address to your calendar app to see your bookings there.",
        "fr": "Ajoutez cette adresse à votre agenda pour y voir vos réservations.",
    },
    "home.copy": {"en": "Copy the link", "fr": "Copier le lien"},
    "home.search": {"en": "Search services", "fr": "Chercher un service"},
    "offering.book": {"en": "Book a slot", "fr": "Réserver un créneau"},
    "offering.duration": {"en": "{minutes} min", "fr": "{minutes} min"},
    "offering.credits": {"en": "{credits} credit(s)", "fr": "{credits} crédit(s)"},
    "offering.open_to": {"en": "Open to", "fr": "Ouvert à"},
    "offering.anyone": {"en": "anyone", "fr": "tout le monde"},
    "ineligible.left": {
        "en": "your organisation has left the programme",
        "fr": "votre organisation a quitté le programme",
    },
    "ineligible.rules": {
        "en": "the catalogue does not list it for your organisation; it is open to {who}",
        "fr": "le catalogue ne le propose pas à votre organisation ; il est ouvert à : {who}",
    },
    "ineligible.kind": {
        "en": "it is for {kinds}; your organisation is a {kind}",
        "fr": "réservé à : {kinds} ; votre organisation est : {kind}",
    },
    "ineligible.stage": {
        "en": "it is for the stages {stages}; you are at {stage}",
        "fr": "réservé aux étapes : {stages} ; vous êtes à : {stage}",
    },
    "error.form": {"en": "Please correct what is marked below.", "fr": "Corrigez ce qui est signalé ci-dessous."},
    "error.service": {"en": "{service} answered: {detail}", "fr": "{service} a répondu : {detail}"},
    "done": {"en": "Done.", "fr": "C'est fait."},
}


def pick_language(cookie: str | None, accept_language: str | None) -> str:
    """The cookie's choice if known, else the first supported language the browser prefers."""
    if cookie in LANGUAGES:
        return cookie
    ranked: list[tuple[float, int, str]] = []
    for position, part in enumerate((accept_language or "").split(",")):
        tag, _, params = part.strip().partition(";")
        quality = 1.0
        if params.strip().startswith("q="):
            try:
                quality = float(params.strip()[2:])
            except ValueError:
                quality = 0.0
        primary = tag.strip().lower().split("-")[0]
        if primary in LANGUAGES and quality > 0:
            ranked.append((-quality, position, primary))
    return min(ranked)[2] if ranked else DEFAULT_LANGUAGE


def translator(language: str, catalogue: Mapping[str, Mapping[str, str]] = MESSAGES) -> Translate:
    """`t(key, **values)` in `language`, falling back to English, then to the key."""

    def t(key: str, **values: object) -> str:
        entry = catalogue.get(key)
        if entry is None:
            return key
        text = entry.get(language) or entry.get("en") or key
        return text.format(**values) if values else text

    return t


def localized(text: LocalizedText | Mapping[str, str | None] | str | None, language: str) -> str:
    """A LocalizedText ({fr, en, ar}) in the reader's language, or whatever there is."""
    if isinstance(text, str):
        return text
    if isinstance(text, LocalizedText):
        text = text.model_dump()
    if not isinstance(text, Mapping):
        return ""
    return text.get(language) or text.get("en") or text.get("fr") or next((v for v in text.values() if v), "")
