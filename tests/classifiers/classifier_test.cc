// The rule classifier on sentences we wrote, one TEST_CASE per rule family, each with
// examples that must fire and examples that must not. Uses the real data files.
#include <algorithm>
#include <catch2/catch.hpp>
#include <string>
#include <thread>
#include <vector>

#include "classifiers/classification_json.h"
#include "classifiers/classifier.h"

using namespace raqib::classifiers;

namespace {

const Classifier& Get() {
  static const std::shared_ptr<const Classifier> classifier = [] {
    auto loaded = LoadClassifier(std::string(RAQIB_SOURCE_DIR) + "/classifiers/data");
    if (!loaded) FAIL(loaded.error());
    return *loaded;
  }();
  return *classifier;
}

Classification Text(const std::string& text) { return Get().Classify({"", text}); }
Classification Titled(const std::string& title, const std::string& text) {
  return Get().Classify({title, text});
}

bool HasEntity(const Classification& c, EntityKind kind, const std::string& canonical) {
  for (const Entity& e : c.entities) {
    if (e.kind == kind && e.canonical == canonical) return true;
  }
  return false;
}

}  // namespace

TEST_CASE("classifiers::Classify reports attacks that happened") {
  for (const char* text : {
           "قتل ثلاثة جنود في هجوم صاروخي على قاعدة عسكرية شمال بغداد.",
           "استهدفت طائرة مسيرة مفخخة مطار أربيل مساء أمس.",
           "انفجرت سيارة مفخخة في سوق شعبي وسط المدينة وأسفرت عن سقوط قتلى.",
           "شنت طائرات حربية غارات على مواقع في ريف دير الزور.",
           "أسقطت الدفاعات الجوية طائرتين مسيرتين قبل وصولهما إلى القاعدة.",
           "اغتال مسلحون مجهولون ضابطا في الشرطة بإطلاق النار عليه.",
           "ويعد هذا الهجوم الصاروخي الثاني والعشرين منذ أكتوبر ضد المصالح الأميركية.",
           "وقالت الوزارة إن الهجوم على المصفاة أوقف الإنتاج.",  // على + target
           "ندد البيان بالهجوم الأخير الذي وقع قرب الحدود.",     // an event that took place
           "لم يسفر الهجوم الصاروخي عن ضحايا.",                  // negation not on the event
           "فجر انتحاري نفسه وسط حشد في سوق المدينة.",           // the verb with support
           "سقطت ثلاثة صواريخ كاتيوشا على قاعدة عين الأسد دون وقوع إصابات.",  // falling rockets
           "أغارت طائرات حربية على مواقع في ريف إدلب فجر اليوم.",             // the verb of a raid
           "استهدف هجوم نقطة تفتيش في كركوك فجر اليوم.",                      // a place right by it
           "قتل ثلاثة ركاب بانفجار عبوة ناسفة في حافلة على طريق المطار.",     // a weapon, a bus
           "استشهاد مواطن في نجران إثر سقوط مقذوف عسكري من اليمن.",           // singular مقذوف
           "وارتفع عدد الشهداء إلى خمسين جراء القصف الإسرائيلي على المخيم.",  // dead + strong
           // the Red Crescent is not the football club: the massacre stays an attack
           "الهلال الأحمر الفلسطيني: نواجه صعوبة في إسعاف ضحايا مجزرة المواصي.",
       }) {
    INFO(text);
    CHECK(Text(text).Has(EventType::kAttack));
  }
  SECTION("a headline without a verb") {
    CHECK(Titled("مقتل 5 بقصف إسرائيلي على خان يونس", "").Has(EventType::kAttack));
  }
}

TEST_CASE("classifiers::Classify ignores sport, verbal, accidental and idiomatic attacks") {
  for (const char* text : {
           "سجل مهاجم الهلال هدفين في المباراة بعد هجمة مرتدة سريعة.",
           "قاد المهاجم الدولي خط الهجوم في مباراة الدوري أمس وأحرز الفريق الفوز.",
           "هاجم وزير المالية المعارضة بسبب انتقاداتها للميزانية الجديدة.",
           "انفجار أسطوانة غاز في مطعم يصيب ثلاثة عمال بحروق.",
           "توفي الفنان إثر أزمة قلبية مفاجئة في منزله.",
           "مصرع أربعة أشخاص في حادث سير على طريق الرياض.",
           "أصدرت المحكمة حكما بالسجن على المتهم في قضية القتل.",
           "ارتفعت أسعار النفط في السوق العالمية بعد قرار أوبك.",
           "مبدعو مكة يفجرون طاقاتهم في صناعة تلفريك.",  // figurative "explode"
           "إخلاء ناجح لضحايا حادث حافلة العمرة.",       // a bus in a crash: a target, no attacker
           "سقطت الطائرة المدنية قرب المطار بسبب عطل فني.",  // a fall with no weapon
           "من تعدى على نفس مسلمة فكأنما قتل الناس جميعا.",  // a weak word does not make deaths
           "قرد يهاجم مدينة ترفيهية ويصيب شخصين في عرعر.",   // an animal
           "ورحب الخبراء باستهداف برنامج الإسكان لمن هم في أمس الحاجة إليه.",  // إليه, no vehicle
           "أدى الانفجار على المنصة النفطية إلى مقتل 167 شخصا واحترقت بالكامل.",  // a fire
           "وتفجرت إثر ذلك ينابيع الرواية في سوق الكتاب.",                  // figurative, economy
           "وقال إنه سيطلق قواعد للتصدي للهجمات الإلكترونية على الشركات.",  // software
           "لأنها مراتهم الأولى في قنص العصافير.",                          // hunting
           "تدعو المملكة لتجريم الاعتداء والإساءة للمقدسات والأديان.",      // insult
           "أدى الانفجار إلى مقتل 167 شخصا في واحدة من أسوأ كوارث المنصات النفطية.",
           "أعدت مجسمات تمثل الغزوة من موقع المعركة في معرض السيرة النبوية.",          // history
           "استضاف النادي أبناء الشهداء وأبناء جنودنا البواسل المرابطين على الحدود.",  // honoured
           "تعاضدت الشهادات على دور الملك الشهيد في اكتشاف موقع السوق.",
           "لكن يونايتد خطفه منه في سوق الانتقالات بعد أن دفع 75 مليون يورو.",  // a market
           "وتوقع مدير مطار أبها فهد العدواني زيادة حركة المسافرين.",   // a surname, not عدوان
           "وضربت الصحيفة عددا من الأمثلة لما أنفقته الأندية.",         // giving examples
           "قال الوزير إن الوزارة تستهدف نمو أعداد السياح في الرياض.",  // an economic goal
           "أطلقت الجمعية حملات تثقيفية في جدة لاستهداف فئات المجتمع.",  // an audience
           "اقتحمت مجال التصوير وأثبتت المصورة موهبتها في السعودية.",    // "broke into a field"
           // a place far from a weak attack word in a long sentence does not support it
           "وأوضح مدير الحملة الوطنية السعودية في بيروت أن الحملة اعتمدت إضافة الطهي إلى "
           "المجالات التدريبية التي تستهدف النساء اللاجئات.",
           "نفذت القوات البحرية مناورات بالذخيرة الحية شملت اشتباكا مع زوارق معادية.",  // exercise
       }) {
    INFO(text);
    const auto c = Text(text);
    CHECK_FALSE(c.Has(EventType::kAttack));
    CHECK_FALSE(c.Has(EventType::kClaim));
  }
}

TEST_CASE("classifiers::Classify reads attack words in a film or market article as plot") {
  // An article about a film: the killing is the plot.
  const auto film = Titled(
      "ايشواريا راي تقتل زوجها في فيلمها الجديد",
      "تقدم الممثلة دورا جديدا في فيلم سينمائي من إخراج المخرج الهندي. وبحسب المخرج فإن الممثلة "
      "تؤدي دور أم أطلقت النار على زوجها في مشهد مؤثر من الفيلم الذي يعرض في مهرجان السينما.");
  CHECK_FALSE(film.Has(EventType::kAttack));
  // Hard evidence still counts: gunmen and a weapon at a festival.
  const auto festival =
      Titled("هجوم مسلح على مهرجان السينما",
             "أطلق مسلحون النار من بنادق آلية على جمهور مهرجان السينما وقتلوا ثلاثة أشخاص.");
  CHECK(festival.Has(EventType::kAttack));
  // Nor does an official quoted in a market report speak on security.
  const auto market =
      Titled("أسعار النفط ترتفع في السوق العالمية",
             "ارتفعت أسعار النفط في السوق العالمية وسط تداولات نشطة للأسهم. وقال وزير الطاقة إن "
             "الأسعار تأثرت بالتوترات العسكرية في المنطقة، مؤكدا استقرار الاستثمارات والصادرات.");
  CHECK_FALSE(market.Has(EventType::kStatement));
}

TEST_CASE("classifiers::Classify treats threats, future and conditions as no attack") {
  for (const char* text : {
           "أحالت النيابة خلية إلى القضاء بغية القيام بأعمال إرهابية داخل البلاد.",  // purpose
           "واتهمتهم بالتخطيط لتنفيذ هجمات على منشآت حكومية.",                       // planning
           "هددت الجماعة بشن هجمات على القواعد الأميركية.",
           "ستستهدف الفصائل القواعد الأجنبية إذا لم تنسحب.",
           "إذا تعرضت قواتنا لأي هجوم فسوف نرد بقوة.",
           "توعد القائد باستهداف السفن في البحر الأحمر.",
           "لم يقع أي هجوم على القاعدة خلال الشهر الماضي.",
           "وقال إن الهجمات على القواعد ستستمر حتى الانسحاب.",  // future after the event
           "ولا يرجح المسؤول أن يقوم الجيش باستهداف المدينة.",  // أن + imperfect
           "زعيم الحوثيين: عملياتنا في البحر الأحمر مستمرة ما دام العدوان على غزة مستمرا",
       }) {
    INFO(text);
    CHECK_FALSE(Text(text).Has(EventType::kAttack));
  }
}

TEST_CASE("classifiers::Classify finds claims of responsibility") {
  for (const char* text : {
           "تبنت كتائب حزب الله الهجوم على قاعدة التاجي.",
           "أعلنت حركة الشباب مسؤوليتها عن التفجير الذي استهدف فندقا في مقديشو.",
           "وقالت الجماعة في بيان: نعلن استهداف قاعدة عين الأسد بعدة صواريخ.",
           "أعلن الجيش الإسرائيلي أنه قصف مواقع لحزب الله في جنوب لبنان.",
           "وبثت كتائب القسام مشاهد لاستهداف دبابة إسرائيلية شرق رفح.",
       }) {
    INFO(text);
    const auto c = Text(text);
    CHECK(c.Has(EventType::kClaim));
    CHECK(c.Has(EventType::kAttack));  // a claim reports an attack
  }
  SECTION("a verb-first report with the group as subject") {
    CHECK(Text("قصفت سرايا القدس مستوطنة سديروت برشقة صاروخية.").Has(EventType::kClaim));
  }
  SECTION("an announced operation against a target, and a booby-trapped boat") {
    CHECK(Titled("المقاومة الإسلامية في العراق تعلن تنفيذ عملية ضد هدف حيوي في إيلات", "")
              .Has(EventType::kClaim));
    CHECK(
        Titled("التحالف يعلن تدمير زورق مفخخ للحوثيين في البحر الأحمر", "").Has(EventType::kClaim));
    // An operation that is no attack is no claim.
    CHECK_FALSE(Titled("وزارة الصحة تعلن تنفيذ عملية جراحية للمصابين", "").Has(EventType::kClaim));
  }
  SECTION("a verb of carrying out with the act as its object") {
    CHECK(Text("نفذت كتائب حزب الله هجوما بطائرة مسيرة على قاعدة التنف، بحسب بيان للكتائب.")
              .Has(EventType::kClaim));
    CHECK(Text("وأكدت حركة الشباب في بيان أن مقاتليها نفذوا الهجوم على القاعدة العسكرية.")
              .Has(EventType::kClaim));
    CHECK(Text("وأعلنت حركة الشباب في بيان أن أحد عناصرها نفذ الهجوم على القاعدة العسكرية.")
              .Has(EventType::kClaim));
    CHECK_FALSE(Text("وأعلنت الشرطة في بيان أن أحد المسلحين نفذ الهجوم على القاعدة العسكرية.")
                    .Has(EventType::kClaim));
    // The speaker's own forces after إن carry the act a few words on.
    CHECK(Text("قالت حركة حماس إن جناحها العسكري نفذ عملية ضد جنود الاحتلال في رفح.")
              .Has(EventType::kClaim));
    CHECK_FALSE(Text("قالت الشرطة إن مسلحين مجهولين نفذوا هجوما على نقطة تفتيش في المدينة.")
                    .Has(EventType::kClaim));
    // Someone else carrying it out is a report, not the group's claim.
    CHECK_FALSE(Text("وأكدت حركة الشباب في بيان أن مسلحين نفذوا الهجوم على القاعدة العسكرية.")
                    .Has(EventType::kClaim));
    // Carrying out a visit or a plan is no attack.
    CHECK_FALSE(Text("نفذت كتائب حزب الله انسحابا من المنطقة.").Has(EventType::kClaim));
  }
  SECTION("a group spokesman in a news flash") {
    CHECK(Text("عاجل | متحدث باسم الحوثيين: الهجوم بالطيران المسير استهدف مطار أبها")
              .Has(EventType::kClaim));
  }
  SECTION("an official or a state force in the first person") {
    CHECK(Titled("نتنياهو: قصفنا أهدافا عسكرية في إيران", "").Has(EventType::kClaim));
    CHECK(
        Titled("الجيش الإسرائيلي: استهدفنا مواقع لحزب الله في الجنوب", "").Has(EventType::kClaim));
    // The third person is a report of someone else's act.
    CHECK_FALSE(Titled("وزير الدفاع: مسلحون قصفوا القاعدة العسكرية", "").Has(EventType::kClaim));
  }
  SECTION("sniping in a group's headline") {
    CHECK(Titled("القسام: قنصنا جنديا إسرائيليا شرق خان يونس", "").Has(EventType::kClaim));
    CHECK(Titled("كتائب القسام: فجرنا نفقا بقوة إسرائيلية في رفح", "").Has(EventType::kClaim));
  }
  SECTION("a group's spokesman, named, saying its forces attacked") {
    CHECK(Text("وقال المتحدث العسكري باسم الحوثيين يحيى سريع إن قواتهم استهدفت سفينة تجارية.")
              .Has(EventType::kClaim));
    CHECK(Text("وقالت كتائب القسام في بيان إن مقاتليها استهدفوا دبابة شرق رفح.")
              .Has(EventType::kClaim));
  }
  SECTION("a group written with ل + ال (للحوثيين) and a verb-first blast") {
    CHECK(Text("وقال بيان للمقاومة الإسلامية في العراق: استهدفنا قاعدة حرير بطائرة مسيرة.")
              .Has(EventType::kClaim));
    CHECK(Text("في حين فجرت كتيبة جنين عبوة ناسفة في قوة إسرائيلية.").Has(EventType::kClaim));
  }
  SECTION("an operation announced by its author") {
    CHECK(Text("أعلنت سرايا القدس تنفيذ عملية فدائية ضد قوات الاحتلال.").Has(EventType::kClaim));
    CHECK_FALSE(Text("أجرى الأطباء عملية جراحية للجريح في المستشفى.").Has(EventType::kClaim));
  }
  SECTION("a headline in the group's own account") {
    CHECK(Titled("سرايا القدس تقصف مستوطنة سديروت برشقة صاروخية", "").Has(EventType::kClaim));
    // بأن is أن after a reporting verb; a man of its own blew up his belt.
    CHECK(Text("وأفاد بيان لتنظيم داعش بأن أحد عناصره فجر حزامه الناسف وسط تجمع للشرطة.")
              .Has(EventType::kClaim));
    // "المقاومة" alone, with the article, is the armed resistance.
    CHECK(Titled("المقاومة تعلن تفجير منزل مفخخ بقوة إسرائيلية في رفح", "").Has(EventType::kClaim));
  }
}

TEST_CASE("classifiers::Classify rejects non-claims: nobody, accusation, denial, adoption") {
  for (const char* text : {
           "قتل جنديان في هجوم صاروخي، ولم تتبن أي جهة الهجوم.",
           "ولم تعلن أي جهة مسؤوليتها عن الهجوم الصاروخي على القاعدة.",
           "اتهمت واشنطن فصائل موالية لإيران بتنفيذ الهجوم على القاعدة.",
           "نفت الجماعة مسؤوليتها عن التفجير الذي وقع في السوق.",
           "تبنى مجلس الأمن قرارا بشأن التغير المناخي.",
           "توعدت الجماعة باستهداف السفن الأميركية في البحر الأحمر.",
           "وقال الجيش إن مسلحين هاجموا نقطة تفتيش شمال بغداد.",  // others attacked
           "وأعلنت الشرطة أن مجهولين استهدفوا دورية بعبوة ناسفة.",
           "تبنى مجلس الأمن الدولي قرارا يدين الهجوم على السفارة.",  // a resolution
       }) {
    INFO(text);
    CHECK_FALSE(Text(text).Has(EventType::kClaim));
  }
}

TEST_CASE("classifiers::Classify finds official statements about security") {
  for (const char* text : {
           "دانت وزارة الخارجية الهجوم الإرهابي على المسجد.",
           "قال متحدث باسم الجيش إن قواته تصدت لهجوم بطائرات مسيرة.",
           "حذرت الحكومة العراقية من التصعيد العسكري في المنطقة.",
           "وقال التحالف في بيان إن قواته تعرضت لهجوم صاروخي.",
       }) {
    INFO(text);
    CHECK(Text(text).Has(EventType::kStatement));
  }
  SECTION("the same official goes on in the next sentence") {
    const auto c =
        Text("قال وزير الدفاع إن قواته صدت الهجوم. وأضاف: الهجمات على قواعدنا لن تمر دون رد.");
    int statements = 0;
    for (const Evidence& e : c.evidence) statements += e.type == EventType::kStatement;
    CHECK(statements == 2);
  }
  SECTION("a text opening with a verb whose subject is its pronoun goes on a statement") {
    for (const char* text : {
             "وأضاف أن الولايات المتحدة ستتخذ كل الإجراءات اللازمة لحماية جنودها في العراق.",
             "وتابع قائلا إن الهجمات على القواعد العسكرية لن تمر دون رد.",
             "وأكدت: لن نسمح للميليشيات بتهديد أمن البلاد.",
         }) {
      INFO(text);
      CHECK(Text(text).Has(EventType::kStatement));
    }
    // Off topic, with a private speaker named, or later in the text: no speaker to carry.
    CHECK_FALSE(
        Text("وأضاف أن أسعار النفط ستواصل الارتفاع خلال الربع المقبل.").Has(EventType::kStatement));
    CHECK_FALSE(
        Text("وأضاف الخبير أن الهجمات على القواعد العسكرية ستستمر.").Has(EventType::kStatement));
    CHECK_FALSE(Text("زار المدرب اللاعبين. وأضاف أن الهجمات على القواعد العسكرية ستستمر.")
                    .Has(EventType::kStatement));
  }
  SECTION("a claim carrying threats and justifications is a statement too") {
    const auto c = Text(
        "وأعلنت الجماعة في بيان مسؤوليتها عن الهجوم ردا على الغارات، وتوعدت بمواصلة عملياتها.");
    CHECK(c.Has(EventType::kClaim));
    CHECK(c.Has(EventType::kStatement));
    const auto alone = Text("وأعلنت الجماعة مسؤوليتها عن الهجوم.");
    CHECK(alone.Has(EventType::kClaim));
    CHECK_FALSE(alone.Has(EventType::kStatement));
  }
  SECTION("a headline quote") {
    CHECK(Titled("وزير الدفاع: سنواصل العمليات العسكرية ضد داعش", "").Has(EventType::kStatement));
    // Earlier private words in the headline are other news, not the speaker.
    CHECK(Titled("مقتل صحفيين في غارة ووزير هولندي يقر: ما يحدث إبادة جماعية", "")
              .Has(EventType::kStatement));
    // The official before the colon, not a group behind a preposition.
    CHECK(Text("عاجل | مسؤول في القسام للجزيرة: رفع الجهوزية القتالية قرار قيادة المقاومة")
              .Has(EventType::kStatement));
    CHECK_FALSE(Titled("الممثل يرد على داعش: الحامي هو الله", "").Has(EventType::kStatement));
  }
  SECTION("an office holder named only by name, and more reporting verbs") {
    for (const char* text : {
             "وأوضح بلينكن أن الهجمات على القوات الأمريكية يجب أن تتوقف.",
             "ورأى عراقجي أن التصعيد العسكري في المنطقة خطير.",
             "ولفت الأعرجي إلى أن الخلايا الإرهابية ما زالت تنشط.",
             "وحث غروندبرغ الأطراف على الالتزام بالهدنة.",
             "وجدد زاخاروفا رفض موسكو للتدخل العسكري الأجنبي.",
             "نحذر الميليشيات من استهداف المدنيين، قال الناطق باسم الجيش.",
             "واتهم قادة عسكريون الحكومة بتعريض أمن إسرائيل للخطر.",
             "تبنى مجلس الأمن الدولي قرارا يدعو إلى وقف إطلاق النار في غزة.",
             "ضربت الطائرات المسيرة المدينة ليعلن الجيش حالة الطوارئ لمواجهة الإرهاب.",
             "ونفى المتحدث باسم البنتاغون وجود خطط لسحب القوات الأمريكية من العراق.",
             "وأوعز وزير الداخلية بملاحقة منفذي الهجوم.",
             "ورحبت وزارة الخارجية بإعلان وقف إطلاق النار في غزة.",
             "واستبعد وزير الدفاع انسحاب القوات من المنطقة.",
             "السوداني يوجه بفتح تحقيق في الهجوم على حقل كورمور.",  // verb then ب: adjacent
             "الخارجية الإيرانية: الرد على أي اعتداء سيكون حاسما",  // an attack noun alone
             "وشدد الرئيس الفرنسي على ضرورة حماية المدنيين في غزة.",
             "قال مسؤول أمريكي إن واشنطن سترسل حاملة طائرات إلى المنطقة.",
             "وأعلن حاكم الولاية أن انتحاريا فجر سترته الناسفة داخل سوق في المدينة.",
             // a defence office speaks on security; restraint is a conflict word
             "وزير الدفاع الإسرائيلي يهدد بتوسيع العملية في لبنان",
             "الأمين العام للأمم المتحدة يدعو إلى ضبط النفس في جنوب لبنان",
             // a speech phrase holds no journalist; a quoted source; laying the blame
             "وفي مؤتمر صحفي، قال المتحدث باسم وزارة الداخلية إن قوات الأمن اعتقلت خلية إرهابية.",
             "ونقلت وكالة الأنباء الرسمية عن مصدر عسكري قوله إن الدفاعات الجوية تصدت لصواريخ.",
             "بدوره، حمّل رئيس الوزراء الميليشيات مسؤولية الهجمات على البعثات الدبلوماسية.",
             "رئيس الوزراء العراقي يوجه بملاحقة منفذي الهجوم الصاروخي",
             "وأكد الوزير أن الهجمات لن تثنيهم، مشيرا إلى أن القوات تصدت للمسلحين.",
             "وقال مصدر أمني إن الهجوم استهدف نقطة تفتيش.",  // a source named by its office
             "أعرب الاتحاد الأوروبي عن قلقه من تصاعد العنف في شمال سوريا.",  // violence
             "ونقلت الوكالة عن قائد عمليات الأنبار قوله إن الوضع تحت السيطرة.",
             "وتابع المتحدث أن القوات الأمريكية ردت على مصدر النيران.",
             "غالانت: سنعمل في كل مكان في غزة",                // a defence minister by name
             "الأونروا: مقتل 150 من موظفينا منذ بداية الحرب",  // a UN agency
             "حزب الله ينعى اثنين من مقاتليه",                 // mourning its fighters
             "وقال المركز الإعلامي للمقاومة إن الثوار يحاصرون المدينة.",  // a press office
             "السعودية ترفض تهجير الفلسطينيين من غزة",
             "عاجل | الداخلية الأفغانية: مقتل 10 من عناصر الأمن في هجوم لطالبان",
             "وقال سموه إن التفجير الإرهابي كشف حقد هؤلاء المجرمين.",  // an honorific
             "وأكد معاليه أن الحادث الإجرامي لن يمس أمن الوطن.",       // the criminal act
             "عاجل | المبعوث الأممي: الطرفان وافقا على إعادة الانتشار في الحديدة",
             "حفتر يعلن النفير العام في المنطقة الغربية",
             // a crime is still a topic, whatever word for deaths follows
             "أدانت الأمانة العامة لهيئة كبار العلماء العمل الإجرامي الذي استهدف مسجدا ونتج "
             "عنه عدد من الوفيات والمصابين.",
             "بحسب وزارة الدفاع، صدت القوات هجوما على الحدود.",    // attribution to a source
             "صدت القوات هجوما على الحدود، نقلا عن مسؤول عسكري.",  // quoting a source
             "اتفقت المملكة والأردن على تعزيز التعاون في مكافحة الإرهاب.",
             // concern raised is a reaction
             "قتل ثلاثة جنود في هجوم على قاعدة عسكرية، في تصعيد أثار قلق بغداد والأمم المتحدة.",
             "الخارجية الأردنية تستدعي السفير الإسرائيلي احتجاجا على اقتحام الأقصى",
             "الدفاع المدني بغزة: انتشال 50 شهيدا من تحت الأنقاض في خان يونس",
             "الصحة بغزة: ارتفاع حصيلة الشهداء منذ بدء العدوان",
             "محكمة العدل الدولية تأمر إسرائيل بوقف الهجوم على رفح",    // an order
             "مجلس الحرب الإسرائيلي يقرر توسيع العملية البرية في غزة",  // a decision
             "عاجل | قطر: المفاوضات بشأن وقف إطلاق النار متعثرة",       // a state, no dateline
             "وانهارت الهدنة في اليمن، كما قال المتحدث باسم الأمم المتحدة.",  // as ... said
             "قالت قوة المهام المشتركة في بيان إن الحلفاء شنوا 18 غارة جوية على مواقع التنظيم.",
             "انتقدت الخارجية الروسية الغارات الأمريكية على سوريا.",  // criticism
             // a private person's words end at a connector; then an official speaks
             "كشف الإعلام الإسرائيلي عن مطالب جديدة، فيما اتهم قادة عسكريون الحكومة بتعريض "
             "أمن إسرائيل للخطر.",
         }) {
      INFO(text);
      CHECK(Text(text).Has(EventType::kStatement));
    }
  }
}

TEST_CASE("classifiers::Classify reads attacks in English lines such as photo captions") {
  for (const char* text : {
           "U.S. soldiers are seen at the site where an Iranian missile hit at the air base.",
           "Soldiers inspect the site from where rockets were launched towards the military base.",
           "Two drones were shot down before reaching the base, officials said.",
       }) {
    INFO(text);
    CHECK(Text(text).Has(EventType::kAttack));
  }
  for (const char* text : {
           "The striker hit the post twice before the team scored the winning goal.",
           "Oil prices hit a record high as markets rallied.",
           "Workers went on strike at the port.",
           "Three people were killed in a car crash on the highway.",
       }) {
    INFO(text);
    CHECK_FALSE(Text(text).Has(EventType::kAttack));
  }
}

TEST_CASE("classifiers::Classify keeps a lead's statement on a bombing in an economy article") {
  const std::string rest =
      " ثم أقر المجلس الميزانية الجديدة ودعم الاستثمار في الشركات الصغيرة. وناقش أسعار النفط"
      " والتضخم والصادرات، ووافق على قروض للبنوك.";
  CHECK(Text("أكد ولي العهد أن التفجير الإرهابي الذي طال المسجد لن يثني رجال الأمن." + rest)
            .Has(EventType::kStatement));
  // Later in such an article, or without a bombing in the lead, an official is on economy.
  CHECK_FALSE(Text("أكد ولي العهد أن المملكة تمضي في خططها." + rest +
                   " وقال الوزير إن الهجمات على الاقتصاد لن تنجح.")
                  .Has(EventType::kStatement));
}

TEST_CASE("classifiers::Classify reads present-tense speech in titles and before an official") {
  for (const char* title : {
           "البنتاغون يصف الهجوم على قاعدة التنف بالمتهور",
           "الخارجية الروسية تعرب عن قلقها من التصعيد في سوريا",
           "وزير الداخلية يكشف عن إحباط مخطط إرهابي في العاصمة",
           "الرئيس التركي يتعهد بمواصلة العمليات ضد المسلحين الأكراد",
       }) {
    INFO(title);
    CHECK(Titled(title, "").Has(EventType::kStatement));
  }
  CHECK(Text("وتضيف الوزارة أن الهجمات على القواعد العسكرية لن تمر دون رد.")
            .Has(EventType::kStatement));
  // In the body, without an official right after it, the present is "is considered" or
  // "reveals", whoever is named nearby.
  for (const char* text : {
           "وتعتبر القاعدة العسكرية التي زارها الوزير من أكبر القواعد في المنطقة.",
           "إن تمرير الاتفاق النووي مع إيران يكشف أن الحكومة تدرك حجم التهديد.",
       }) {
    INFO(text);
    CHECK_FALSE(Text(text).Has(EventType::kStatement));
  }
}

TEST_CASE("classifiers::Classify reads a first-person plural speech act as an organisation") {
  CHECK(Text("وأضافت: نرفض كل الأعمال التي تستهدف القواعد العسكرية.").Has(EventType::kStatement));
  CHECK(Text("وندين بشدة الهجوم الإرهابي على المسجد.").Has(EventType::kStatement));
  // Without a security topic the first person is no statement.
  CHECK_FALSE(Text("وأضاف: نرفض رفع أسعار الوقود هذا العام.").Has(EventType::kStatement));
  // Nor with a private speaker in the sentence.
  CHECK_FALSE(Text("وقال الشاهد: نرفض الهجمات على القرية.").Has(EventType::kStatement));
}

TEST_CASE("classifiers::Classify ignores private speakers and unrelated statements") {
  for (const char* text : {
           "قال الخبير العسكري إن الهجمات على القواعد ستستمر.",
           "قال وزير المالية إن أسعار النفط سترتفع العام المقبل.",
           "قال مدرب الفريق إن اللاعبين جاهزون للمباراة النهائية.",
           "أكد وزير الصحة أن المستشفيات جاهزة لاستقبال المرضى.",
           "بغداد: قال مراسلنا إن هجوما استهدف السوق.",                // dateline, reporter
           "قال المتحدث باسم الهلال الأحمر إن الغارات دمرت المنازل.",  // an NGO's spokesman
           "وأوضح بلينكن أن الاقتصاد الأمريكي ينمو بسرعة.",        // a named official, off topic
           "ورأى الخبير أن التصعيد العسكري في المنطقة خطير.",      // a private speaker
           "يعتبر المسجد من أقدم مساجد المدينة التي شهدت معارك.",  // "is considered"
           "الهلال الأحمر: الغارات دمرت عشرات المنازل",            // an NGO before the colon
           "أكد وزير التعليم أهمية الأمن الغذائي والمائي.",        // أمن not of a state
           // a noun in ta marbuta is no verb: إضافة is "in addition", not أضافه
           "وزار وزير الدفاع القاعدة العسكرية، إضافة إلى لقاء القادة.",
           "وقال مدير المرور إن القوات المرورية تنتشر في الشوارع.",  // القوات, not troops
           "وجه الوزير بفتح مدارس جديدة في المنطقة.",                // an order, off topic
           "ورحب وزير الثقافة بافتتاح المعرض الدولي للكتاب.",        // a welcome, off topic
           "وأكد عبر الهاتف أن الحرب انتهت، قال الشاهد.",            // عبر without عن is "via"
           // a private speaker's words run on: the official inside is quoted
           "قالت صحيفة لوتان إن عمدة المدينة رفض دعوة السفير الإسرائيلي لحضور ذكرى الحرب.",
           "شدد الداعية على أهمية أن يصدر الخطباء فتوى تدين جرائم داعش.",
           "ويطالب فيها المتظاهرون بإسقاط النظام بعد مواجهة قوات الأمن.",  // protesters
           "قال مصدر محلي إن الهجوم استهدف نقطة تفتيش.",                   // a private source
           "ووفقا لشهود عيان، استهدف الهجوم نقطة تفتيش قرب السوق.",        // witnesses
           // a participle goes on with the subject before it, not an official after it
           "وقدم الباحث ورقة عن الإرهاب، مشيرا إلى دور الأجهزة الحكومية في مواجهة العمليات "
           "الإرهابية.",
           "طالب عضو مجلس الشورى بالتصدي للمتحايلين على قرار فرض الضرائب.",       // confronting
           "وأضاف السفير أن هناك انسحابات للاستثمارات السعودية من اليونان.",      // investments
           "وقال المتحدث الرسمي للهلال الأحمر إن الغارات أصابت عشرات المدنيين.",  // NGO via ل
           "وأكد وزير الزراعة أن الجراد يهاجم المزارع في المنطقة.",  // a verb is no topic
           "وحمل الوزير حقيبته إلى المؤتمر الاقتصادي.",              // carrying, no blame
           "وقال رئيس الاتحاد الدولي لكرة القدم إن المونديال سيكون الأفضل.",
           "وكان هدفها سرقة بيانات تسجيل الدخول من التطبيقات المصرفية بعد الهجمات.",  // data
           "هل تتحول طالبان إلى حزب سياسي بعد وفاة زعيمها؟",  // the Taliban, not "they demand"
           "صرح رئيس النادي بأن اللاعبين جاهزون للمواجهة المرتقبة.",  // a match, not a fight
           "أكدت الوزيرة أهمية مكافحة العنف الأسري في المدارس.",      // domestic violence
           // going early to prayer; a governorate is no governor; a disease is no wound
           "وقال الخطيب: لو يعلمون ما في التهجير لاستبقوا إليه.",
           "وأكد أن المحافظة على الأمن الغذائي واجب على الجميع.",
           "وقالت منظمة الصحة العالمية إن كل طفل معرض لخطر الإصابة بشلل الأطفال.",
           "كشفت الكارثة عن التحديات في الجبهة الداخلية السعودية أمام الإرهاب.",  // no ministry
           "أعلن الدفاع المدني إنقاذ طفلة سقطت من علو منحدر صخري وتعرضت لإصابات بليغة.",
           "قال وزير الزراعة إن الحرب على الجراد مستمرة في المنطقة.",  // a figurative war
           "أكد وزير التجارة أن حرب الأسعار بين الشركات تضر المستهلك.",
           // after كما the speaker follows the verb: not the government before it
           "الحكومة التركية أغمضت عينيها عن العابرين لدعم الحرب، كما يقول ناقدوها.",
           // a march of development is no drone; deaths in a flood are no attack
           "السيسي: مشروع قناة السويس خطوة من ألف خطوة قادمة في مسيرة التنمية",
           "قتل 27 شخصا لدى عبور قطار جسرا اجتاحته فيضانات في وسط الهند، بحسب مصادر رسمية.",
       }) {
    INFO(text);
    CHECK_FALSE(Text(text).Has(EventType::kStatement));
  }
}

TEST_CASE("classifiers::Classify extracts places, actors, weapons and targets") {
  const auto c = Text(
      "قتل ثلاثة جنود في هجوم بصواريخ كاتيوشا استهدف قاعدة عين الأسد في الأنبار، "
      "وتبنت كتائب حزب الله الهجوم.");
  CHECK(HasEntity(c, EntityKind::kPlace, "عين الأسد"));
  CHECK(HasEntity(c, EntityKind::kPlace, "الأنبار"));
  CHECK(HasEntity(c, EntityKind::kActor, "كتائب حزب الله"));
  CHECK(HasEntity(c, EntityKind::kWeapon, "rocket"));
  bool target = false;
  for (const Entity& e : c.entities) target = target || e.kind == EntityKind::kTarget;
  CHECK(target);
  SECTION("a place pattern not in the gazetteer") {
    const auto p = Text("سقطت قذائف هاون على بلدة الزهراء شمال حلب.");
    bool found = false;
    for (const Entity& e : p.entities) {
      found = found || (e.kind == EntityKind::kPlace && e.text == "بلدة الزهراء");
    }
    CHECK(found);
  }
}

TEST_CASE("classifiers::Classify keeps responsibility and ambiguous weapon words to attacks") {
  SECTION("responsibility without an attack is no claim") {
    const auto c = Text(
        "وأكد أن اللجنة ستلتزم بالإعلان عن الأسعار، وتجعل الدلالين شركاء في المسؤولية "
        "لضبط الجودة في السوق.");
    CHECK_FALSE(c.Has(EventType::kClaim));
    CHECK_FALSE(c.Has(EventType::kAttack));
  }
  // مسيرة (also a march, a career), مدافع (also defenders) and حماس (also enthusiasm) are
  // matched only in the forms that name the weapon or the group; those must still fire.
  SECTION("the narrowed forms still fire in attack reports") {
    CHECK(Text("استهدفت طائرة مسيرة قاعدة عسكرية شمال بغداد.").Has(EventType::kAttack));
    CHECK(Text("قصفت مدافع الجيش مواقع المسلحين في ريف حلب.").Has(EventType::kAttack));
    CHECK(Text("أعلنت حماس مسؤوليتها عن الهجوم على الحاجز العسكري.").Has(EventType::kClaim));
    CHECK(Text("هاجمت الجماعة إيلات بمسيرات مفخخة.").Has(EventType::kAttack));
    CHECK(Text("أسقطت الدفاعات الجوية مسيرة فوق القاعدة العسكرية.").Has(EventType::kAttack));
    CHECK(Text("مسلحون يهاجمون حافلة للزوار في ديالى").Has(EventType::kAttack));  // pilgrims
    // A rocket that carries a satellite is no weapon.
    CHECK_FALSE(Text("إطلاق صاروخ فضائي يحمل قمرا صناعيا").Has(EventType::kAttack));
  }
}

TEST_CASE("classifiers::Classify needs more than a weak attack word for a security topic") {
  // يستهدف is also "aims at": an official on an economy plan is no security statement.
  CHECK_FALSE(Text("أكد المتحدث الرسمي لوزارة الزراعة أن الاستثمار في الخارج يستهدف جميع "
                   "الدول الصديقة.")
                  .Has(EventType::kStatement));
  const auto c = Text("أكد المتحدث باسم وزارة الدفاع أن الجيش يستهدف مواقع المسلحين بالمدفعية.");
  CHECK(c.Has(EventType::kStatement));
  CHECK(c.Has(EventType::kAttack));
}

TEST_CASE("classifiers::Classify finds a word again at each of its occurrences") {
  // The first قصف is a threat; only the second reports a strike, and must be found there.
  const std::string text = "هدد الجيش بأنه سوف يقصف المدينة. وبعد ساعة قصف الجيش المدينة.";
  const auto c = Text(text);
  REQUIRE(c.Has(EventType::kAttack));
  bool second = false;
  for (const Evidence& e : c.evidence) {
    second = second || (e.type == EventType::kAttack && e.sentence.begin > text.find('.'));
  }
  CHECK(second);
  const auto twice = Text("قصف الجيش المدينة. ثم قصف الجيش القرية.");
  int attack_sentences = 0;
  for (const Evidence& e : twice.evidence) attack_sentences += e.type == EventType::kAttack;
  CHECK(attack_sentences == 2);
}

TEST_CASE("classifiers::Classify does not read the familial adjective as prisoners") {
  // الأسري (familial) and الأسرى (prisoners) are the same letters once ى is folded to ي.
  CHECK_FALSE(Text("أكد المحافظ أن مشروع الإنتاج الأسري سيفتتح قريبا في المدينة.")
                  .Has(EventType::kStatement));
  CHECK(Text("أكد المتحدث باسم الحكومة أن صفقة الأسرى ستنفذ الأسبوع المقبل.")
            .Has(EventType::kStatement));
}

TEST_CASE("classifiers::Classify ends a pattern name before a verb or a time word") {
  auto texts_of = [](const Classification& c, EntityKind kind) {
    std::vector<std::string> texts;
    for (const Entity& e : c.entities) {
      if (e.kind == kind) texts.push_back(e.text);
    }
    return texts;
  };
  using Catch::Matchers::VectorContains;
  SECTION("a verb after the group's name is not part of it") {
    const auto c = Text("جماعة مسلحة تتبنى الهجوم على نقطة التفتيش.");
    CHECK_THAT(texts_of(c, EntityKind::kActor), VectorContains(std::string("جماعة مسلحة")));
    const auto d = Text("كتائب النصر تطلق صواريخ على القاعدة.");
    CHECK_THAT(texts_of(d, EntityKind::kActor), VectorContains(std::string("كتائب النصر")));
  }
  SECTION("a time word after a place's name is not part of it") {
    const auto c = Text("انفجرت سيارة مفخخة في مدينة الرمال الأسبوع الماضي.");
    CHECK_THAT(texts_of(c, EntityKind::kPlace), VectorContains(std::string("مدينة الرمال")));
  }
  SECTION("a two-word name still reads whole") {
    const auto c = Text("سقطت قذائف هاون على بلدة وادي النخيل.");
    CHECK_THAT(texts_of(c, EntityKind::kPlace), VectorContains(std::string("بلدة وادي النخيل")));
  }
  SECTION("a name is shown without the conjunction or preposition glued to it") {
    const auto c = Text("سقطت صواريخ على بغداد وأربيل وبالعراق عموما.");
    const std::vector<std::string> places = texts_of(c, EntityKind::kPlace);
    CHECK_THAT(places, VectorContains(std::string("أربيل")));
    CHECK_THAT(places, VectorContains(std::string("العراق")));
    CHECK_FALSE(std::any_of(places.begin(), places.end(),
                            [](const std::string& p) { return p.starts_with("و"); }));
  }
  SECTION("a head with the article, or an adjective after it, names nothing") {
    const auto c = Text("وسقطت الصواريخ داخل القاعدة الجوية لتقديمهم الدعم في منطقة واسعة.");
    CHECK(texts_of(c, EntityKind::kPlace).empty());
    const auto d = Text("تبنى فصيل جديد يدعى الثوريون الهجوم على القاعدة.");
    const std::vector<std::string> actors = texts_of(d, EntityKind::kActor);
    CHECK_THAT(actors, VectorContains(std::string("الثوريون")));
    CHECK_FALSE(std::any_of(actors.begin(), actors.end(), [](const std::string& a) {
      return a.find("جديد") != std::string::npos;
    }));
  }
}

TEST_CASE("classifiers::Classify reads casualty numbers in digits, words and duals") {
  CHECK(Text("قتل ٣ جنود في هجوم صاروخي.").killed == 3);
  CHECK(Text("مقتل 26 مقاتلا في غارات جوية.").killed == 26);
  CHECK(Text("قتل جنديان في هجوم بطائرة مسيرة.").killed == 2);
  const auto c = Text("قتل خمسة أشخاص وأصيب ما لا يقل عن 40 آخرين في تفجير انتحاري.");
  CHECK(c.killed == 5);
  CHECK(c.injured == 40);
  CHECK(Text("قتل ثلاثون شخصا في قصف مدفعي.").killed == 30);
  CHECK_FALSE(Text("انعقد الاجتماع يوم الثلاثاء في الرياض.").killed.has_value());
}

TEST_CASE("classifiers::Classify evidence spans quote the original text") {
  const std::string title = "هجومٌ صاروخيّ على قاعدة";
  const std::string text =
      "وقُتِلَ جنديان في هجومٍ بطائرة مسيّرة استهدف القاعدة. وقال الجيش في بيان إن القوات تصدت للهجوم.";
  const Article article{title, text};
  const auto c = Get().Classify(article);
  REQUIRE(c.Has(EventType::kAttack));
  REQUIRE_FALSE(c.evidence.empty());
  for (const Evidence& e : c.evidence) {
    const std::string& field = e.sentence.field == Field::kTitle ? title : text;
    REQUIRE(e.sentence.end <= field.size());
    for (const Span& t : e.triggers) {
      CHECK(t.field == e.sentence.field);
      CHECK(t.begin >= e.sentence.begin);
      CHECK(t.end <= e.sentence.end);
      CHECK(t.begin < t.end);
    }
  }
  const auto json = ToJson(c, article);
  CHECK(json["labels"][0] == "attack");
  bool quoted = false;
  for (const auto& e : json["evidence"]) {
    for (const auto& t : e["triggers"]) {
      const std::string& field = t["field"] == "title" ? title : text;
      const auto begin = t["begin"].get<std::size_t>();
      CHECK(t["text"] == field.substr(begin, t["end"].get<std::size_t>() - begin));
      // Spans keep the tashkeel of the words they cover.
      quoted = quoted || t["text"].get<std::string>().starts_with("هجومٍ");
    }
  }
  CHECK(quoted);
  for (EventType type : kEventTypes) {
    CHECK(c.Score(type) >= 0.0);
    CHECK(c.Score(type) <= 1.0);
  }
}

TEST_CASE("classifiers::Classify never throws on invalid or odd input") {
  std::vector<std::string> inputs = {"",
                                     " ",
                                     "\xFF\xFE\xFD",
                                     std::string(5, '\0'),
                                     "هجوم\xC3",
                                     "\xE2\x80\xAE"
                                     "قتل",
                                     std::string(20000, 'x'),
                                     "...!!!???|||\n\n\n",
                                     "٣٣٣٣٣٣٣٣٣٣٣٣٣٣٣٣٣٣ قتيلا"};
  std::string random;
  unsigned state = 12345;
  for (int i = 0; i < 5000; ++i) {
    state = state * 1103515245u + 12345u;
    random.push_back(static_cast<char>(state >> 16));
  }
  inputs.push_back(random);
  std::string words;
  for (int i = 0; i < 300; ++i) words += "قتل هجوم صاروخ تبنت مسؤوليتها قال الوزير لم ";
  inputs.push_back(words);
  for (const std::string& s : inputs) {
    const Article article{s, s};
    Classification c;
    REQUIRE_NOTHROW(c = Get().Classify(article));
    REQUIRE_NOTHROW(
        ToJson(c, article).dump(-1, ' ', false, nlohmann::json::error_handler_t::replace));
    for (const Evidence& e : c.evidence) CHECK(e.sentence.end <= s.size());
    for (const Entity& e : c.entities) CHECK(e.span.end <= s.size());
  }
}

TEST_CASE("classifiers::Classify gives the same answers from many threads") {
  const std::vector<std::string> texts = {
      "قتل ثلاثة جنود في هجوم صاروخي على قاعدة عين الأسد وتبنت كتائب حزب الله الهجوم.",
      "دانت وزارة الخارجية الهجوم الإرهابي.", "سجل مهاجم الهلال هدفين في المباراة.",
      "أعلنت حركة الشباب مسؤوليتها عن التفجير."};
  std::vector<std::string> expected;
  for (const auto& t : texts) expected.push_back(ToJson(Text(t), {"", t}).dump());
  std::vector<std::vector<std::string>> got(4);
  std::vector<std::thread> threads;
  for (int k = 0; k < 4; ++k) {
    threads.emplace_back([&, k] {
      for (int round = 0; round < 50; ++round) {
        for (const auto& t : texts) got[k].push_back(ToJson(Text(t), {"", t}).dump());
      }
    });
  }
  for (auto& th : threads) th.join();
  for (int k = 0; k < 4; ++k) {
    REQUIRE(got[k].size() == 50 * texts.size());
    for (std::size_t i = 0; i < got[k].size(); ++i) CHECK(got[k][i] == expected[i % texts.size()]);
  }
}

TEST_CASE("classifiers::LoadClassifier reports bad data and reloads") {
  auto missing = LoadClassifier("/nonexistent/raqib/data");
  REQUIRE_FALSE(missing);
  CHECK(missing.error().find("/nonexistent/raqib/data") != std::string::npos);
  auto again = LoadClassifier(std::string(RAQIB_SOURCE_DIR) + "/classifiers/data");
  REQUIRE(again);
  CHECK((*again)->Version() == Get().Version());
  CHECK_FALSE(Get().Version().empty());
  CHECK(std::filesystem::is_directory(DefaultDataDir()));
  const std::string t = "أعلنت حركة الشباب مسؤوليتها عن التفجير.";
  CHECK(ToJson((*again)->Classify({"", t}), {"", t}) == ToJson(Text(t), {"", t}));
}
