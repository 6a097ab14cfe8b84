from fund.extensions import db
from fund.models.base import TZDateTime, utcnow


class Project(db.Model):
    """Something money is allocated to, e.g. the quantum-scalpel magnet equipment."""

    id = db.Column(db.Integer, primary_key=True)
    slug = db.Column(db.String(64), nullable=False, unique=True)
    title_ja = db.Column(db.String(200), nullable=False)
    title_en = db.Column(db.String(200), nullable=False)
    description_ja = db.Column(db.Text, nullable=False, default="")
    description_en = db.Column(db.Text, nullable=False, default="")
    accepts_donations = db.Column(db.Boolean, nullable=False, default=True)
    created_at = db.Column(TZDateTime, nullable=False, default=utcnow)

    def title(self, lang):
        return self.title_ja if lang == "ja" else self.title_en

    def description(self, lang):
        return self.description_ja if lang == "ja" else self.description_en

    def __repr__(self):
        return f"<Project {self.slug}>"
