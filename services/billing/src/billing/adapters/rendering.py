"""An invoice or credit note as a printable page, and as PDF, in its customer's language (fr, en,
ar right to left).

Labels are the document's own, in `LABELS`; amounts read `1 234,50 MAD`. The page is what the web
app shows and prints; it carries every mention Moroccan invoices must: both parties' ICE, the
number, the date, each line's VAT rate, totals without and with VAT.
"""

from __future__ import annotations

from functools import cache

from jinja2 import Environment, PackageLoader, select_autoescape

from billing.domain.invoices import Invoice
from billing.domain.money import text
from parkgrid.contracts.billing import DocumentKind
from parkgrid.contracts.common import Language

LABELS: dict[Language, dict[str, str]] = {
    Language.FR: {
        "invoice": "Facture",
        "credit_note": "Avoir",
        "number": "N°",
        "issued_on": "Date",
        "due_on": "Échéance",
        "period": "Période",
        "customer": "Client",
        "ice": "ICE",
        "description": "Désignation",
        "quantity": "Qté",
        "unit_price": "Prix unitaire HT",
        "discount": "Remise",
        "vat_rate": "TVA",
        "net": "Montant HT",
        "total_net": "Total HT",
        "total_vat": "TVA",
        "total": "Total TTC",
        "paid": "Déjà réglé",
        "due": "Reste à payer",
        "credits": "Avoir sur la facture",
    },
    Language.EN: {
        "invoice": "Invoice",
        "credit_note": "Credit note",
        "number": "No.",
        "issued_on": "Date",
        "due_on": "Due",
        "period": "Period",
        "customer": "Customer",
        "ice": "ICE",
        "description": "Description",
        "quantity": "Qty",
        "unit_price": "Unit price excl. VAT",
        "discount": "Discount",
        "vat_rate": "VAT",
        "net": "Amount excl. VAT",
        "total_net": "Total excl. VAT",
        "total_vat": "VAT",
        "total": "Total incl. VAT",
        "paid": "Paid",
        "due": "Left to pay",
        "credits": "Credit note for invoice",
    },
    Language.AR: {
        "invoice": "فاتورة",
        "credit_note": "إشعار دائن",
        "number": "رقم",
        "issued_on": "التاريخ",
        "due_on": "تاريخ الاستحقاق",
        "period": "الفترة",
        "customer": "الزبون",
        "ice": "التعريف الموحد للمقاولة",
        "description": "البيان",
        "quantity": "الكمية",
        "unit_price": "ثمن الوحدة دون احتساب الرسوم",
        "discount": "تخفيض",
        "vat_rate": "الضريبة على القيمة المضافة",
        "net": "المبلغ دون احتساب الرسوم",
        "total_net": "المجموع دون احتساب الرسوم",
        "total_vat": "الضريبة على القيمة المضافة",
        "total": "المجموع مع احتساب الرسوم",
        "paid": "المدفوع",
        "due": "الباقي للأداء",
        "credits": "إشعار دائن للفاتورة",
    },
}


@cache
def _environment() -> Environment:
    environment = Environment(loader=PackageLoader("billing", "templates"), autoescape=select_autoescape(["html"]))
    environment.filters["money"] = text
    environment.filters["percent_bp"] = lambda bp: f"{bp / 100:g} %"
    return environment


def invoice_html(invoice: Invoice) -> str:
    language = invoice.customer.language
    return (
        _environment()
        .get_template("invoice.html")
        .render(
            invoice=invoice,
            labels=LABELS[language],
            language=language.value,
            direction="rtl" if language == Language.AR else "ltr",
            title=LABELS[language]["credit_note" if invoice.kind == DocumentKind.CREDIT_NOTE else "invoice"],
        )
    )


class PdfUnavailable(RuntimeError):
    """This host cannot render PDF (WeasyPrint needs Pango: deploy/local/install.sh installs it)."""


def invoice_pdf(invoice: Invoice) -> bytes:
    """The same page as PDF (WeasyPrint). Imported when first asked for, so a host without Pango
    still serves everything else and answers a PDF request with a clear 503."""
    try:
        from weasyprint import HTML
    except OSError as missing:  # Pango's shared libraries not found
        raise PdfUnavailable(str(missing)) from None
    pdf: bytes = HTML(string=invoice_html(invoice)).write_pdf()
    return pdf
