"""Japanese (default) and English texts for the public pages and mail.

A small catalogue keeps every donor-facing string in one place without a
compile step: `make run` must work on a fresh machine with no gettext tools.
"""
from pathlib import Path

from flask import has_request_context, request, session

from flask_babel import format_date

from fund.core import clock
from fund.core.extensions import babel

LANGUAGES = ("ja", "en")
DEFAULT = "ja"

MESSAGES = {
    "site.title": ("QST未来基金", "QST Future Fund"),
    "site.tagline": ("量子科学技術の未来を、寄附で支える。",
                     "Support the future of quantum science and technology."),
    "nav.switch": ("English", "日本語"),
    "home.where": ("寄附の行き先を選んでください", "Choose where your gift goes"),
    "home.general": ("使途を特定しない寄附", "General fund (unrestricted)"),
    "home.general.desc": ("QST未来基金の事業全般に活用します。",
                          "Used wherever the QST Future Fund needs it most."),
    "home.campaigns": ("クラウドファンディング", "Crowdfunding campaigns"),
    "home.projects": ("プロジェクト", "Projects"),
    "home.give": ("このプロジェクトに寄附する", "Give to this"),
    "campaign.raised": ("集まった金額", "Raised"),
    "campaign.goal": ("目標金額", "Goal"),
    "campaign.supporters": ("支援者数", "Supporters"),
    "campaign.days_left": ("残り日数", "Days left"),
    "campaign.days": ("日", "days"),
    "campaign.ended": ("終了しました", "Ended"),
    "form.title": ("寄附のお申し込み", "Make a donation"),
    "form.destination": ("寄附先", "Your gift goes to"),
    "form.amount": ("寄附金額（円）", "Amount (yen)"),
    "form.amount.other": ("その他の金額", "Other amount"),
    "form.amount.example": ("例: 5000", "e.g. 5000"),
    "form.amount.hint": ("{min}円以上、1円単位", "From ¥{min}, in whole yen"),
    "form.donor_kind": ("寄附者の区分", "Donor type"),
    "form.individual": ("個人", "Individual"),
    "form.corporation": ("法人", "Corporation"),
    "form.company_name": ("法人名", "Company name"),
    "form.representative": ("代表者名", "Representative"),
    "form.name": ("お名前", "Name"),
    "form.name_kana": ("フリガナ", "Name (furigana)"),
    "form.email": ("メールアドレス", "Email"),
    "form.postal_code": ("郵便番号", "Postal code"),
    "form.address": ("住所", "Address"),
    "form.phone": ("電話番号（任意）", "Phone (optional)"),
    "form.wants_receipt": ("寄附金受領証明書を希望する", "I want a receipt for my tax return"),
    "form.publish_name": ("芳名録にお名前を掲載してよい（任意。未選択の場合は匿名）",
                          "Publish my name in the donor list (optional; anonymous if unticked)"),
    "form.message": ("メッセージ（任意）", "Message (optional)"),
    "form.card": ("クレジットカード", "Card"),
    "form.card_only_offline": (
        "この環境ではクレジットカードのみご利用いただけます（テスト用決済サーバー）。",
        "Only card payments are available in this environment (test payment server)."),
    "form.submit": ("寄附する", "Donate"),
    "form.errors": ("入力内容をご確認ください。", "Please check the highlighted fields."),
    "error.required": ("入力してください。", "This field is required."),
    "error.amount.required": ("金額を入力してください。", "Please enter an amount."),
    "error.amount.invalid": ("金額は半角数字（円単位）で入力してください。",
                             "Enter the amount in whole yen, digits only."),
    "error.amount.fraction": ("1円未満の金額は指定できません。",
                              "Amounts are in whole yen, without decimals."),
    "error.amount.negative": ("金額は正の数で入力してください。", "The amount must be positive."),
    "error.amount.min": ("{min}円以上で入力してください。", "The minimum is ¥{min}."),
    "error.amount.max": ("{max}円以下で入力してください。", "The maximum is ¥{max}."),
    "error.email": ("メールアドレスの形式が正しくありません。", "Please enter a valid email address."),
    "error.postal_code": ("郵便番号は7桁の数字で入力してください（例：263-8555）。",
                          "Enter a 7-digit postal code (e.g. 263-8555)."),
    "error.phone": ("電話番号の形式が正しくありません。", "Please enter a valid phone number."),
    "error.too_long": ("{max}文字以内で入力してください。", "Use at most {max} characters."),
    "error.choice": ("選択肢から選んでください。", "Please choose one of the options."),
    "error.destination": ("寄附先が見つからないか、受付を終了しています。",
                          "This destination does not exist or no longer accepts gifts."),
    "error.card_declined": ("カードが承認されませんでした。別のカードをお試しください。",
                            "Your card was declined. Please try another card."),
    "error.card_token": ("カード情報を入力してください。", "Please enter your card details."),
    "error.authentication_failed": ("カードの本人認証が完了しませんでした。もう一度お試しください。",
                                    "Card authentication did not complete. Please try again."),
    "error.payment_unavailable": (
        "決済サービスに接続できませんでした。二重に請求されることはありません。しばらくしてから再度お試しください。",
        "We could not reach the payment service. You have not been charged twice; please try again."),
    "error.rate_limited": (
        "短時間に多くのお申し込みがありました。しばらくしてから再度お試しください。",
        "Too many attempts from your connection. Please wait a few minutes and try again."),
    "donors.title": ("芳名録（ご支援いただいた皆さま）", "Our supporters"),
    "donors.intro": ("お名前の掲載にご同意いただいた方のみを掲載しています（掲載は任意です）。",
                     "Only donors who agreed to be named are listed (it is optional)."),
    "donors.anonymous": ("ほか匿名の方 {count}名", "and {count} anonymous supporter(s)"),
    "donors.none": ("まだ掲載できるお名前はありません。", "No names to show yet."),
    "donors.link": ("芳名録を見る", "See our supporters"),
    "error.checkout_changed": (
        "このお申し込みはすでに送信されています。金額を変更する場合はページを再読み込みしてください。",
        "This form was already sent. To change the amount, please reload the page."),
    "error.link_expired": ("このリンクは有効期限が切れています。QST未来基金事務局までお問い合わせください。",
                           "This link has expired. Please contact the QST Future Fund office."),
    "error.link_invalid": ("このリンクは無効です。", "This link is not valid."),
    "auth.failed": ("カードの本人認証が完了しなかったため、決済は行われていません。",
                    "Card authentication was not completed, so you have not been charged."),
    "auth.continue": ("本人認証を続ける", "Continue authentication"),
    "form.general_option": ("使途を特定しない寄附（一般）", "General fund"),
    "thanks.retry": ("もう一度寄附する", "Try again"),
    "auth.title": ("カードの本人認証", "Card authentication"),
    "auth.text": ("カード会社の本人認証（3Dセキュア）を行っています…",
                  "Your card issuer is asking you to confirm this payment (3-D Secure)…"),
    "thanks.title": ("ご寄附ありがとうございます", "Thank you for your gift"),
    "thanks.paid": ("{amount}のご寄附を承りました。", "We received your gift of {amount}."),
    "thanks.pending": ("決済の確認中です。確認でき次第メールでお知らせします。",
                       "Your payment is being confirmed. We will email you when it is."),
    "thanks.failed": ("決済が完了しませんでした。", "The payment did not go through."),
    "thanks.receipt": ("寄附金受領証明書はメールでお送りします。",
                       "Your receipt will be sent by email."),
    "thanks.reference": ("受付番号", "Reference"),
    "thanks.back": ("トップページへ戻る", "Back to the home page"),
    "mail.thanks.subject": ("【QST未来基金】ご寄附ありがとうございます（受領証明書 {number}）",
                            "QST Future Fund: thank you for your gift (receipt {number})"),
    "mail.thanks_noreceipt.subject": ("【QST未来基金】ご寄附ありがとうございます",
                                      "QST Future Fund: thank you for your gift"),
}

from fund.core.i18n_giving import MESSAGES as _GIVING  # noqa: E402
MESSAGES.update(_GIVING)


def locale():
    """The donor's language: ?lang= switches and is remembered in the session."""
    cached = request.environ.get("fund.locale")
    if cached:
        return cached
    lang = request.args.get("lang")
    if lang in LANGUAGES:
        session["lang"] = lang
    else:
        lang = session.get("lang", DEFAULT)
        if lang not in LANGUAGES:
            lang = DEFAULT
    request.environ["fund.locale"] = lang
    return lang


def translate(key, lang=None, **params):
    lang = lang or locale()
    texts = MESSAGES.get(key)
    if texts is None:
        return key
    text = texts[LANGUAGES.index(lang)]
    return text.format(**params) if params else text


def translation_directories():
    """Each package keeps its own catalogue: fund/<package>/translations/<lang>/LC_MESSAGES.

    Flask-Babel merges them, so two packages never edit the same .po file.
    """
    root = Path(__file__).resolve().parents[1]
    return [str(path) for path in sorted(root.glob("*/translations")) if path.is_dir()]


def register(app):
    app.config.setdefault("BABEL_DEFAULT_LOCALE", DEFAULT)
    app.config.setdefault("BABEL_DEFAULT_TIMEZONE", "Asia/Tokyo")
    app.config["BABEL_TRANSLATION_DIRECTORIES"] = ";".join(translation_directories())
    babel.init_app(app, locale_selector=_locale_or_default)
    app.jinja_env.globals["t"] = translate
    app.jinja_env.globals["locale"] = locale


def _locale_or_default():
    # Outside a request (mail from a command, a job) the caller passes the locale.
    return locale() if has_request_context() else DEFAULT


def jst_date(moment):
    """The date in Japan of an aware datetime, written for the current locale (2026年4月1日)."""
    return format_date(clock.jst_date(moment), format="long") if moment else ""
