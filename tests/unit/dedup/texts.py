# ruff: noqa: E501  (fixture prose keeps its natural line breaks)
"""Short wire stories written for these tests (several languages), and helpers to make copies.

Each story is one event; ``copy_*`` helpers make the edits republishers make: new headline and
dateline, a trailing "Read also" block, a changed sentence, a dropped last paragraph.
"""

from __future__ import annotations

from datetime import UTC, datetime

from shared.ids import short_hash
from shared.messages import ArticleTagged, Entity, Fact, WatchlistMatch
from shared.textnorm import content_sha256

EN_NIS = """South Korea's spy agency said on Friday that North Korea had sent about 1,500 special forces \
soldiers to Russia's Far East, the first group of a deployment that could grow much larger.
The soldiers were carried on Russian navy landing ships from ports near Chongjin between October 8 and 13, \
the agency said, and are now at bases around Vladivostok where they are being trained and equipped.
Satellite pictures released with the briefing show lines of men gathering on a quay next to a grey ship.
Officials in Seoul said they expected more units to follow in the coming weeks and called an emergency \
meeting of the national security council to discuss a response with allies.
Neither Moscow nor Pyongyang commented on the report, and both have denied trading soldiers or weapons."""

EN_NATO = """NATO's secretary general said on Monday that North Korean military units had been deployed to \
Russia's Kursk region, the first time the alliance confirmed reports that Pyongyang's troops were near \
the front. He said the move marked a dangerous expansion of the war and a direct threat to partners in \
Europe and the Indo-Pacific. A delegation from Seoul briefed allied ambassadors in Brussels on the \
intelligence behind the assessment, and officials said the alliance was consulting Kyiv on how to respond.
The Kremlin declined to comment on the deployment and repeated that its cooperation with North Korea \
broke no international rules."""

ID_NIS = """Badan intelijen Korea Selatan pada Jumat menyatakan Korea Utara telah mengirim sekitar 1.500 \
prajurit pasukan khusus ke wilayah Timur Jauh Rusia, kelompok pertama dari pengerahan yang bisa jauh lebih besar.
Para prajurit diangkut kapal pendarat Angkatan Laut Rusia dari pelabuhan dekat Chongjin antara 8 dan 13 \
Oktober dan kini berada di pangkalan sekitar Vladivostok untuk dilatih dan diperlengkapi.
Citra satelit yang dirilis bersama pengarahan itu memperlihatkan barisan orang berkumpul di dermaga.
Pejabat di Seoul memperkirakan unit lain akan menyusul dalam beberapa minggu ke depan."""

KO_NIS = """국가정보원은 18일 북한이 특수부대 병력 약 1500명을 러시아 극동 지역으로 보냈다고 밝혔다. \
국정원에 따르면 이들은 이달 8일부터 13일까지 러시아 해군 상륙함을 타고 청진 인근 항구에서 블라디보스토크로 \
이동했으며 현지 군부대에서 적응 훈련을 받고 있다. 국정원은 위성사진을 함께 공개하며 추가 파병이 이어질 \
가능성이 크다고 설명했다. 정부는 긴급 국가안전보장회의를 열고 동맹국과 대응 방안을 논의했다. \
러시아와 북한은 이번 보도에 대해 아무런 입장도 내놓지 않았다."""

ZH_NIS = """韩国国家情报院十八日表示，朝鲜已向俄罗斯远东地区派遣约一千五百名特种部队士兵，这是可能进一步扩大的部署的\
第一批。情报院称，这些士兵于十月八日至十三日乘坐俄罗斯海军登陆舰从清津附近港口抵达符拉迪沃斯托克，目前正在当地\
军事基地接受适应性训练。情报院同时公布了卫星照片，并预计未来几周还会有更多部队前往俄罗斯。韩国政府随即召开国家安全\
保障会议紧急讨论应对措施。"""

JA_NIS = """韓国の国家情報院は十八日、北朝鮮が特殊部隊の兵士約千五百人をロシア極東に派遣したと発表した。兵士らは八日から\
十三日にかけてロシア海軍の揚陸艦で清津近くの港からウラジオストクに運ばれ、現地の基地で適応訓練を受けているという。\
情報院は衛星写真も公開し、今後数週間でさらに部隊が送られる可能性が高いとの見方を示した。韓国政府は国家安全保障会議を\
緊急に開き、同盟国と対応を協議した。"""

EN_FLOODS = """Heavy rain flooded parts of the Chinese city of Dandong on Sunday, forcing thousands of people \
from their homes along the Yalu river, local officials said. Rescue teams used boats to reach villages \
cut off by the water, and power was lost in several districts overnight. Weather forecasters warned that \
more storms were expected later in the week and asked residents of low-lying areas to stay alert."""

NOW = datetime(2024, 10, 18, 6, 0, tzinfo=UTC)


def retitle_and_tail(text: str, dateline: str, tail: str = "Read also:") -> str:
    """A republished copy: dateline in front, a trailing related-links block."""
    return f"{dateline} - {text}\n\n{tail}\nNorth Korea fires missiles into the sea\nMarkets open higher in Seoul"


def edit_sentence(text: str, old: str, new: str) -> str:
    """A copy with one sentence edited."""
    assert old in text
    return text.replace(old, new)


def drop_last_paragraph(text: str) -> str:
    """A copy cut short by an editor."""
    return "\n".join(text.splitlines()[:-1])


def entity(entity_id: str) -> Entity:
    """An entity with its id as the only surface form."""
    return Entity.model_validate({"id": entity_id, "type": entity_id.partition(":")[0]})


def article(
    key: str,
    text: str,
    *,
    title: str = "",
    when: datetime = NOW,
    source: str = "Test Wire",
    lang: str = "en",
    relevant: bool = True,
    entities: tuple[str, ...] = (),
    facts: tuple[Fact, ...] = (),
) -> ArticleTagged:
    """A tagged article as the extractor would send it."""
    aid = short_hash(key, length=32)
    return ArticleTagged(
        trace=aid,
        article_id=aid,
        url=f"https://example.test/{key}",
        canonical_url=f"https://example.test/{key}",
        feed_id="test",
        source=source,
        title=title or key,
        text=text,
        lang=lang,
        published_at=when,
        fetched_at=when,
        content_sha256=content_sha256(text),
        matches=[
            WatchlistMatch(watchlist="nk-russia-military", score=0.9 if relevant else 0.1, relevant=relevant)
        ],
        entities=[entity(e) for e in entities],
        facts=list(facts),
    )


def fact(kind: str, value: float, span: str, place: str | None = None) -> Fact:
    """A typed fact with its evidence span."""
    return Fact(type=kind, value=value, unit="troops", actor="country:KP", place=place, span=span)
