# ruff: noqa: E501  (template sentences are data; they read better unbroken)
"""Synthetic article.raw/1 messages for load tests, from our own templates in six languages.

Each article is assembled from a headline template and 3-6 body sentences drawn from pools, with
numbers, places, outlets and dates varied, so articles are not near-duplicates of each other.
About ``relevant_share`` of them are about North Korea-Russia military cooperation (the shipped
watchlist); the rest are everyday news and hard negatives (the war without North Korea, North
Korean missile tests without Russia). Two hard negatives in one article read as North Korea and
Russia at war, which the watchlist rightly tags relevant: with the default 0.15, about 20 % of the
articles are tagged relevant.
"""

from __future__ import annotations

import random
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

from shared.ids import article_id, canonical_url
from shared.messages import ArticleRaw
from shared.textnorm import content_sha256

PLACES = {
    "en": ["Kursk", "Vladivostok", "Khabarovsk", "Donetsk", "Moscow"],
    "ru": ["Курской области", "Владивостоке", "Хабаровске", "Донецке", "Москве"],
    "ko": ["쿠르스크", "블라디보스토크", "하바롭스크", "도네츠크", "모스크바"],
    "de": ["Kursk", "Wladiwostok", "Chabarowsk", "Donezk", "Moskau"],
    "fr": ["Koursk", "Vladivostok", "Khabarovsk", "Donetsk", "Moscou"],
    "es": ["Kursk", "Vladivostok", "Jabárovsk", "Donetsk", "Moscú"],
}

RELEVANT = {
    "en": {
        "title": [
            "North Korean troops deployed to {place}, officials say",
            "Report: {n} North Korean soldiers arrive in {place}",
            "Seoul says Pyongyang sent {n} troops to help Russia",
            "North Korean special forces seen near {place}",
        ],
        "body": [
            "South Korea's National Intelligence Service said about {n} North Korean soldiers had been sent to Russia.",
            "The troops were moved by ship to Vladivostok and then by train towards {place}.",
            "Officials in Kyiv said North Korean units were being trained at Russian bases before joining the front.",
            "Pyongyang and Moscow signed a mutual defence treaty after Kim Jong Un hosted Vladimir Putin.",
            "The Pentagon said it had seen evidence of North Korean troops in Russia, {ago} days after the first reports.",
            "Analysts said the deployment of North Korean soldiers marks a new stage in military cooperation with Russia.",
            "NATO's secretary general called the arrival of North Korean troops in {place} a dangerous escalation.",
        ],
    },
    "ru": {
        "title": [
            "Войска КНДР переброшены в район {place}",
            "СМИ: около {n} северокорейских военных прибыли в Россию",
        ],
        "body": [
            "По данным разведки Южной Кореи, около {n} военнослужащих КНДР направлены в Россию.",
            "Северокорейские солдаты проходят подготовку на российских полигонах, сообщают источники в {place}.",
            "Пхеньян и Москва подписали договор о взаимной обороне, напоминают эксперты.",
            "В Киеве заявили, что подразделения КНДР могут появиться на фронте через {ago} дней.",
        ],
    },
    "ko": {
        "title": [
            '국정원 "북한군 {n}명 러시아 파병"',
            "북한 특수부대, {place} 인근 배치 확인",
        ],
        "body": [
            "국가정보원은 북한이 특수부대 등 약 {n}명의 병력을 러시아에 파병했다고 밝혔다.",
            "북한군은 러시아 함정을 이용해 블라디보스토크로 이동한 뒤 {place} 방면으로 향했다.",
            "정부는 북러 군사협력이 한반도 안보에 심각한 위협이 된다고 강조했다.",
            "우크라이나 정보당국은 북한군이 {ago}일 안에 전선에 투입될 수 있다고 전했다.",
        ],
    },
    "de": {
        "title": [
            "Nordkoreanische Soldaten nach {place} verlegt",
            "Bericht: {n} Soldaten aus Nordkorea in Russland",
        ],
        "body": [
            "Der südkoreanische Geheimdienst NIS erklärte, Nordkorea habe rund {n} Soldaten nach Russland geschickt.",
            "Die nordkoreanischen Truppen sollen in {place} für den Einsatz an der Front ausgebildet werden.",
            "Pjöngjang und Moskau hatten zuvor einen Vertrag über gegenseitigen Beistand unterzeichnet.",
            "Die NATO sprach von einer gefährlichen Ausweitung des Krieges, {ago} Tage nach den ersten Berichten.",
        ],
    },
    "fr": {
        "title": [
            "Des soldats nord-coréens déployés à {place}",
            "Environ {n} militaires nord-coréens envoyés en Russie, selon Séoul",
        ],
        "body": [
            "Le service de renseignement sud-coréen affirme qu'environ {n} soldats nord-coréens ont été envoyés en Russie.",
            "Les troupes nord-coréennes seraient entraînées près de {place} avant d'être envoyées au front.",
            "Pyongyang et Moscou ont signé un traité de défense mutuelle, rappellent les analystes.",
            "L'OTAN dénonce une escalade dangereuse, {ago} jours après les premiers signalements.",
        ],
    },
    "es": {
        "title": [
            "Tropas norcoreanas desplegadas en {place}",
            "Seúl: unos {n} soldados de Corea del Norte llegan a Rusia",
        ],
        "body": [
            "El servicio de inteligencia surcoreano afirmó que unos {n} soldados norcoreanos fueron enviados a Rusia.",
            "Las tropas de Corea del Norte se entrenan cerca de {place} antes de ir al frente.",
            "Pyongyang y Moscú firmaron un tratado de defensa mutua, recuerdan los analistas.",
            "La OTAN habló de una escalada peligrosa {ago} días después de los primeros informes.",
        ],
    },
}

OTHER = {
    "en": [
        "The city council of {town} approved a budget of {n} million for new bicycle lanes.",
        "Heavy rain flooded roads in {town}; the weather service expects {ago} more days of storms.",
        "The local football club won {ago}-1 against its rivals in front of {n} fans.",
        "Russian artillery shelled Kharkiv overnight, Ukrainian officials said; no foreign troops were mentioned.",
        "North Korea test-fired a ballistic missile into the sea, Japan's defence ministry said.",
        "A new museum of modern art opened in {town} with {n} works on display.",
        "Farmers near {town} expect a record harvest of {n} tonnes of wheat this year.",
    ],
    "ru": [
        "В городе {town} открылся новый парк площадью {n} гектаров.",
        "Синоптики обещают дожди в ближайшие {ago} дней в регионе {town}.",
        "Местная команда выиграла матч со счетом {ago}:1 на глазах у {n} зрителей.",
    ],
    "ko": [
        "{town} 시의회는 자전거 도로 확충 예산 {n}억 원을 승인했다.",
        "기상청은 앞으로 {ago}일 동안 {town}에 비가 계속될 것이라고 예보했다.",
        "{town}의 한 미술관이 {n}점의 작품으로 새 전시를 열었다.",
    ],
    "de": [
        "Der Stadtrat von {town} hat {n} Millionen Euro für neue Radwege bewilligt.",
        "Unwetter überfluteten Straßen in {town}; der Wetterdienst erwartet {ago} weitere Regentage.",
    ],
    "fr": [
        "Le conseil municipal de {town} a voté {n} millions d'euros pour de nouvelles pistes cyclables.",
        "De fortes pluies ont inondé les routes de {town} pendant {ago} jours.",
    ],
    "es": [
        "El ayuntamiento de {town} aprobó {n} millones para nuevos carriles bici.",
        "Fuertes lluvias inundaron las calles de {town} durante {ago} días.",
    ],
}
OTHER_TITLES = {
    "en": ["{town} news: {topic}", "Update from {town} on {topic}", "{topic} in {town}"],
    "ru": ["{town}: {topic}"],
    "ko": ["{town} 소식: {topic}"],
    "de": ["{town}: {topic}"],
    "fr": ["{town} : {topic}"],
    "es": ["{town}: {topic}"],
}
TOPICS = ["budget", "weather", "football", "museum", "harvest", "traffic", "schools", "elections"]
TOWNS = ["Avonford", "Brackley", "Castleton", "Dunmore", "Eastwick", "Fairhaven", "Glenrock", "Hillcrest"]
OUTLETS = ["Daily Courier", "Morning Ledger", "Evening Star", "Wire Service", "Global Post", "Metro Times"]
LANG_WEIGHTS = {"en": 5, "ru": 2, "ko": 2, "de": 1, "fr": 1, "es": 1}


def _fill(template: str, rng: random.Random, lang: str) -> str:
    return template.format(
        place=rng.choice(PLACES[lang]),
        n=f"{rng.randrange(1, 120) * 100:,}" if lang == "en" else str(rng.randrange(1, 120) * 100),
        ago=rng.randrange(2, 30),
        town=rng.choice(TOWNS) + (f" {rng.randrange(1, 500)}" if rng.random() < 0.5 else ""),
        topic=rng.choice(TOPICS),
    )


def synthetic_articles(count: int, *, relevant_share: float = 0.15, seed: int = 7) -> Iterator[ArticleRaw]:
    """``count`` varied article.raw/1 messages; deterministic for a seed (ids are uuid-based)."""
    rng = random.Random(seed)
    langs = [lang for lang, weight in LANG_WEIGHTS.items() for _ in range(weight)]
    start = datetime(2026, 11, 1, tzinfo=UTC)
    run = uuid.uuid4().hex[:8]
    for i in range(count):
        lang = rng.choice(langs)
        relevant = rng.random() < relevant_share
        if relevant:
            pool = RELEVANT[lang]
            title = _fill(rng.choice(pool["title"]), rng, lang)
            sentences = rng.sample(pool["body"], k=min(len(pool["body"]), rng.randrange(3, 6)))
            sentences += rng.sample(OTHER[lang], k=1)
        else:
            title = _fill(rng.choice(OTHER_TITLES[lang]), rng, lang)
            sentences = rng.sample(OTHER[lang], k=min(len(OTHER[lang]), rng.randrange(2, 5)))
        text = "\n\n".join(_fill(s, rng, lang) for s in sentences)
        text += f"\n\nReference {rng.randrange(10**9)}."  # no two bodies are identical
        canonical = canonical_url(f"https://{rng.choice(OUTLETS).lower().replace(' ', '')}.example/{run}/{i}")
        aid = article_id(canonical)
        published = start + timedelta(seconds=i * 7)
        yield ArticleRaw(
            trace=aid,
            article_id=aid,
            url=canonical,
            canonical_url=canonical,
            feed_id="load",
            source=rng.choice(OUTLETS),
            title=title,
            text=text,
            lang=lang,
            published_at=published,
            fetched_at=published + timedelta(seconds=30),
            content_sha256=content_sha256(text),
        )
