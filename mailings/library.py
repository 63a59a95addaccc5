# ruff: noqa: E501  (an email paragraph is one line: a line break inside it would reach the applicant)
"""The library of rejection emails every company starts from: one per selection stage and hiring track.

The texts are email content, not screen text: they are installed as the company's own Japanese templates
(the applicants are Japanese job seekers), so they are deliberately not marked for translation. They use
only merge fields that every applicant has (name, company, relay link, signature): a company that always
records positions or interview dates can add `{{応募職種}}` or `{{面接日}}` in the editor.
"""

from dataclasses import dataclass

from applicants.models import Applicant


@dataclass(frozen=True)
class LibraryTemplate:
    key: str
    name: str
    stage: str
    track: str
    subject: str
    body: str


_RELAY_NEW_GRADUATE = """就職活動はまだ続くことと存じます。弊社では、ご縁をいただけなかった皆さまの次の一歩を応援したいと考え、キャリア支援サービス「キャリアリレー」と提携しております。
ご登録いただくと、キャリアアドバイザーがあなたの強みやご希望をうかがい、あなたに合う企業探しや選考の準備を無料でお手伝いいたします。
ご関心がございましたら、下記のリンクからご登録ください。

{{リレーリンク}}

※ご登録は任意です。ご登録の有無が、今回の選考結果や今後弊社にご応募いただく際の選考に影響することはございません。"""

_RELAY_MID_CAREER = """これまで培ってこられたご経験を次の職場で存分に活かしていただけるよう、弊社では転職支援サービス「キャリアリレー」と提携しております。
ご登録いただくと、専任のキャリアアドバイザーがご経歴とご希望をうかがい、あなたに合う求人のご紹介から面接の準備まで、無料でご支援いたします。
ご関心がございましたら、下記のリンクからご登録ください。

{{リレーリンク}}

※ご登録は任意です。ご登録の有無が、今回の選考結果や今後弊社にご応募いただく際の選考に影響することはございません。"""


LIBRARY: tuple[LibraryTemplate, ...] = (
    LibraryTemplate(
        key="document-new-graduate",
        name="書類選考(新卒)",
        stage=Applicant.Stage.DOCUMENT,
        track=Applicant.Track.NEW_GRADUATE,
        subject="【{{企業名}}】書類選考の結果について",
        body=f"""{{{{応募者名}}}} 様

このたびは{{{{企業名}}}}の新卒採用にエントリーいただき、誠にありがとうございました。
お送りいただいたエントリーシートをはじめとする応募書類を、一つひとつ拝見いたしました。

慎重に検討を重ねました結果、誠に残念ではございますが、今回は次の選考へのご案内を見送らせていただくことになりました。
ご期待に沿うことができず、大変申し訳ございません。

多くの企業がある中で弊社に関心をお寄せいただき、時間をかけて書類をご準備くださったことに、心より感謝申し上げます。

{_RELAY_NEW_GRADUATE}

{{{{応募者名}}}} 様がご自身に合った道を見つけられ、社会で大きく羽ばたかれますことを、社員一同心よりお祈り申し上げます。

{{{{署名}}}}
""",
    ),
    LibraryTemplate(
        key="document-mid-career",
        name="書類選考(中途)",
        stage=Applicant.Stage.DOCUMENT,
        track=Applicant.Track.MID_CAREER,
        subject="【{{企業名}}】書類選考結果のご連絡",
        body=f"""{{{{応募者名}}}} 様

{{{{企業名}}}} 採用担当でございます。
このたびは弊社の求人にご応募いただき、誠にありがとうございました。

お送りいただいた職務経歴書などの応募書類を拝見し、募集ポジションで求める経験や要件と照らし合わせて慎重に検討いたしました。
その結果、誠に残念ではございますが、今回は採用を見送らせていただくことになりました。
お忙しい中ご応募くださったにもかかわらず、ご希望に沿えない結果となりましたことを心よりお詫び申し上げます。
なお、個別の選考理由についてはお答えいたしかねますこと、何卒ご了承ください。

{_RELAY_MID_CAREER}

末筆ながら、{{{{応募者名}}}} 様の今後ますますのご活躍をお祈り申し上げます。

{{{{署名}}}}
""",
    ),
    LibraryTemplate(
        key="first-interview-new-graduate",
        name="一次面接(新卒)",
        stage=Applicant.Stage.FIRST_INTERVIEW,
        track=Applicant.Track.NEW_GRADUATE,
        subject="【{{企業名}}】一次面接の結果について",
        body=f"""{{{{応募者名}}}} 様

先日はお忙しい中、{{{{企業名}}}}の一次面接にお時間をいただき、誠にありがとうございました。
学生生活で力を注いでこられたことや、これから挑戦したいことについて、ご自身の言葉で丁寧にお話しくださったことに感謝しております。

面接でうかがった内容をもとに慎重に検討いたしました結果、大変残念ではございますが、今回は次の選考へのご案内を見送らせていただくことになりました。
ご期待に沿えない結果となり、誠に申し訳ございません。

{_RELAY_NEW_GRADUATE}

面接でお話しくださった {{{{応募者名}}}} 様の思いが、きっと次の場所で実を結ぶことを、社員一同心よりお祈り申し上げます。

{{{{署名}}}}
""",
    ),
    LibraryTemplate(
        key="first-interview-mid-career",
        name="一次面接(中途)",
        stage=Applicant.Stage.FIRST_INTERVIEW,
        track=Applicant.Track.MID_CAREER,
        subject="【{{企業名}}】一次面接結果のご連絡",
        body=f"""{{{{応募者名}}}} 様

{{{{企業名}}}} 採用担当でございます。
先日はご多用の中、一次面接にお越しいただき、誠にありがとうございました。
これまでのご経歴や仕事への向き合い方について、具体的にお話しいただけたことに感謝申し上げます。

面接の内容をもとに、募集ポジションの要件と照らし合わせて慎重に検討いたしました結果、誠に残念ながら、今回は次の選考へのご案内を見送らせていただくことになりました。
貴重なお時間をいただきながら、ご希望に沿えない結果となりましたことを深くお詫び申し上げます。

{_RELAY_MID_CAREER}

{{{{応募者名}}}} 様の今後のご活躍を、心よりお祈り申し上げます。

{{{{署名}}}}
""",
    ),
    LibraryTemplate(
        key="final-interview-new-graduate",
        name="最終面接(新卒)",
        stage=Applicant.Stage.FINAL_INTERVIEW,
        track=Applicant.Track.NEW_GRADUATE,
        subject="【{{企業名}}】最終面接の結果について",
        body=f"""{{{{応募者名}}}} 様

先日は{{{{企業名}}}}の最終面接にお越しいただき、誠にありがとうございました。
書類選考から最終面接まで、長い期間にわたって弊社の選考に真剣に向き合ってくださったことに、心より感謝申し上げます。

面接でうかがったお話を踏まえ、最後まで慎重に検討を重ねました。その結果、誠に心苦しいのですが、今回は採用を見送らせていただくという結論に至りました。
ここまで弊社を志望し続けてくださった {{{{応募者名}}}} 様のお気持ちにお応えできず、本当に申し訳ございません。
最終面接まで進まれたことは、選考の中で {{{{応募者名}}}} 様の力が確かに評価された証でもございます。どうか自信を持って、次の一歩を踏み出していただければ幸いです。

{_RELAY_NEW_GRADUATE}

{{{{応募者名}}}} 様のご活躍を、選考でお会いした社員一同、心よりお祈り申し上げております。

{{{{署名}}}}
""",
    ),
    LibraryTemplate(
        key="final-interview-mid-career",
        name="最終面接(中途)",
        stage=Applicant.Stage.FINAL_INTERVIEW,
        track=Applicant.Track.MID_CAREER,
        subject="【{{企業名}}】最終面接結果のご連絡",
        body=f"""{{{{応募者名}}}} 様

{{{{企業名}}}} 採用担当でございます。
先日は最終面接にお時間をいただき、誠にありがとうございました。
現職でお忙しい中、複数回にわたる選考にご対応いただきましたことに、改めて御礼申し上げます。

最終面接の内容を踏まえ、最後まで慎重に検討いたしました。その結果、誠に残念ではございますが、今回は採用を見送らせていただくことになりました。
最後まで真摯にご対応くださった {{{{応募者名}}}} 様のご期待に沿えず、大変心苦しく思っております。
選考を通じてうかがったご経験とお人柄に、面接担当者一同、深く敬意を抱いておりましたことをあわせてお伝えいたします。

{_RELAY_MID_CAREER}

{{{{応募者名}}}} 様のさらなるご活躍を、心よりお祈り申し上げます。

{{{{署名}}}}
""",
    ),
)

LIBRARY_BY_KEY = {entry.key: entry for entry in LIBRARY}
