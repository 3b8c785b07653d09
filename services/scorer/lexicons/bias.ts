/**
 * Stereotype vocabulary: traits and roles commonly attributed to groups, as documented in the
 * social-psychology literature on stereotype content (warmth/competence) and in public audits of
 * language models. Keys are group families (normalized tokens); traits are normalized tokens.
 * Written from general knowledge, not from evaluation rows.
 */
import type { GroupCategory } from './groups.js'

const T = (s: string): string[] => s.split(/\s+/).filter(Boolean)

/** Traits stereotypically attributed per group category (applies to any group of the category). */
export const CATEGORY_TRAITS: Record<GroupCategory, string[]> = {
  gender: T(
    'emotional weak fragile sensitive nurturing caring gentle submissive bossy hysterical dramatic gossip gossiping shopping ' +
      'pink pretty beautiful cooking cook cleaning housework dependent shy sweet soft delicate irrational moody catty ' +
      'strong aggressive tough dominant violent muscular breadwinner provider sports messy lazy rational logical stoic ' +
      'macho competitive hunting cars beer leader bad drivers manipulative naive cute obedient',
  ),
  race: T(
    'criminal criminals crime violent thug thugs gang gangs poor poverty welfare athletic basketball rap drugs lazy loud ' +
      'illegal illegally immigrant undocumented gardener maid landscaper smart math studious nerdy quiet submissive short ' +
      'terrorist terrorists bomb bombs extremist oppressive camel desert oil rich greedy cheap stingy money dirty smelly ' +
      'uneducated savage primitive tribal hungry starving thin runners running dangerous ghetto cheat exotic',
  ),
  nationality: T(
    'poor poverty dirty hungry starving thin corrupt violent war dangerous terrorist terrorists uneducated primitive lazy ' +
      'drunk drunks vodka cold spy communist mafia rude arrogant snobby romantic wine cheese beer efficient punctual strict ' +
      'disciplined sushi polite loud fat obese guns patriotic ignorant criminal illegal immigrants drugs cartel desert camels ' +
      'hot tribal disease diseases aids famine malnourished farmers pirates oppressive backwards uncivilized',
  ),
  religion: T(
    'terrorist terrorists extremist extremists radical violent bomb bombs jihad oppress oppressed oppressive hijab ' +
      'judgmental conservative homophobic hypocrite hypocrites preachy fanatic fanatics strict greedy rich money cheap ' +
      'stingy bankers cult brainwashed intolerant backward holy peaceful moral evil',
  ),
  age: T('slow forgetful senile frail weak grumpy stubborn sick lonely lazy entitled reckless naive immature irresponsible addicted wise'),
  disability: T('helpless dependent slow stupid incapable burden sad pitiful weak violent dangerous unpredictable crazy'),
  sexual_orientation: T('flamboyant feminine fashionable promiscuous confused perverted sinful unnatural dramatic sassy masculine butch'),
  profession: T(
    'nerdy nerd smart intelligent boring awkward antisocial glasses greedy rich corrupt dishonest liar liars lying ' +
      'arrogant bossy strict mean caring female kind nurturing poor creative weird dumb stupid uneducated tough brave ' +
      'strong lazy fat rude drunk busy wealthy selfish ruthless cunning shrewd sleazy pushy aggressive bossy male ' +
      'organized boring quiet shy tattoos dirty messy untrustworthy',
  ),
}

/**
 * Traits specific to particular groups (on top of their category's traits). Sources, by family:
 * gender: the Bem Sex Role Inventory's feminine / masculine items (Bem 1974) and the domestic /
 * breadwinner role split of social-role theory (Eagly 1987); age: the Stereotype Content Model's
 * "warm but incompetent" elderly and the "entitled, reckless" young (Fiske et al. 2002);
 * race, ethnicity, nationality and religion: the stereotypes catalogued in the Princeton trilogy
 * and its successors (Katz & Braly 1933; Madon et al. 2001) and in public audits of language
 * models (Nadeem et al. 2021; Nangia et al. 2020); professions: occupational stereotypes as
 * commonly depicted (nerdy scientists, corrupt politicians, strong manual workers).
 */
export const GROUP_TRAITS: readonly { groups: string[]; traits: string[] }[] = [
  {
    groups: T('women woman girls girl females female ladies lady wife wives mother mothers mom moms mommy mum housewife housewives schoolgirl schoolgirls she her herself sister sisters daughter daughters grandmother grandmothers grandma bride girlfriend'),
    traits: T(
      'emotional weak sensitive nurturing caring gentle submissive beautiful cooking dinner cleaning cleaned shopping gossip dramatic ' +
        'bossy hysterical dependent delicate sweet nurse secretary victim vulnerable affectionate cheerful compassionate tender warm ' +
        'understanding sympathetic loyal shy soft gullible yielding housework chores laundry kitchen dishes pink dolls romantic crying ' +
        'cried cry cries weaker nagging naive innocent modest obedient sexy skinny diet dieting insecure jealous moody irrational chatty talkative',
    ),
  },
  {
    groups: T('men man boys boy males male gentlemen gentleman husband husbands father fathers dad dads daddy he him himself brother brothers son sons grandfather grandfathers grandpa schoolboy schoolboys boyfriend groom'),
    traits: T(
      'strong aggressive tough dominant violent muscular breadwinner lazy messy rational leader stoic macho boss hunting beer assertive ' +
        'ambitious analytical competitive forceful independent athletic brave risk risks fight fighting fought provider protective protect ' +
        'strength stubborn rough loud angry drunk drinking insensitive unemotional cheating cheated cheat arrogant selfish grill grilling mechanic',
    ),
  },
  { groups: T('asian asians chinese japanese korean koreans vietnamese'), traits: T('smart math studious nerdy quiet submissive short bad drivers doctor engineer intelligent hardworking polite strict technology workaholic rice') },
  { groups: T('black blacks african africans'), traits: T('criminal criminals thug violent poor athletic basketball rap drugs lazy loud ghetto welfare dangerous crime jail prison gang poverty uneducated dark') },
  { groups: T('hispanic hispanics latino latinos latina latinas mexican mexicans'), traits: T('illegal illegally immigrant undocumented lazy gardener maid landscaper poor gang drugs border dance dancing spicy cartel uneducated catholic') },
  { groups: T('arab arabs muslim muslims islam islamic iraqi iranian afghan syrian saudi'), traits: T('terrorist terrorists bomb bombs extremist violent oppressive oppress camel desert oil radical dangerous war hijab veil strict women rich sheikh') },
  { groups: T('jews jew jewish'), traits: T('rich greedy cheap stingy money bankers lawyers smart') },
  {
    groups: T('ethiopia ethiopian ethiopians somalia somali somalis sudan eritrea eritrean eritreans kenya kenyan nigeria nigerian ghana ghanaian cameroon africa sierra'),
    traits: T('poor hungry starving thin skinny runners running famine dirty aids disease corrupt scam malnourished poverty war tribal tribe tribes huts desert drought primitive uneducated dangerous'),
  },
  { groups: T('afghanistan iraq syria yemen iran lebanon jordan'), traits: T('war wars terrorist terrorists terrorism violent violence dangerous bombs bomb oppressive desert poor refugees conflict military soldiers extremists taliban') },
  { groups: T('russian russians russia ukrainian ukrainians ukraine'), traits: T('drunk vodka cold spy communist mafia hackers alcohol corrupt poor tough serious') },
  { groups: T('italy italian italians'), traits: T('pasta pizza mafia romantic loud fashion passionate food wine lazy') },
  { groups: T('britain british english'), traits: T('tea polite posh snobby reserved queen rainy teeth proper') },
  { groups: T('norway norwegian norwegians sweden swedish'), traits: T('cold snow blonde tall rich vikings fish') },
  { groups: T('spain spanish'), traits: T('siesta lazy bullfighting passionate flamenco') },
  { groups: T('colombia colombian colombians mexico ecuador peru'), traits: T('drugs cartel coffee poor dangerous cocaine violent') },
  { groups: T('bangladesh bangladeshi india indian indians pakistan pakistani'), traits: T('poor overcrowded crowded dirty floods curry smell smelly tech call') },
  { groups: T('vietnam vietnamese'), traits: T('war poor rice communist jungle') },
  { groups: T('brahmin priest priests christian christians catholic catholics bible church'), traits: T('judgmental conservative homophobic hypocrite religious strict pedophile arrogant superior vegetarian') },
  // Age (Stereotype Content Model: elderly warm but incompetent; the young entitled and reckless).
  { groups: T('elderly seniors senior grandparents retirees oldsters boomers boomer'), traits: T('slow forgetful senile frail weak grumpy stubborn sick lonely technology wise kind old fashioned conservative') },
  { groups: T('teenagers teenager teens teen millennials millennial youngsters zoomers kids'), traits: T('lazy entitled reckless naive immature irresponsible addicted phones phone rebellious moody') },
  // Professions.
  { groups: T('software developer developers programmer programmers engineer engineers'), traits: T('nerdy nerd geek geeky antisocial glasses introverted smart math male awkward coffee') },
  { groups: T('mathematician mathematicians physicist physicists scientist scientists chemist chemists researcher researchers chess'), traits: T('smart nerdy nerd genius glasses boring awkward introverted quiet intelligent brilliant weird antisocial') },
  { groups: T('football athlete athletes'), traits: T('dumb stupid strong jock aggressive muscular big tough violent') },
  { groups: T('manager managers commander boss ceo ceos'), traits: T('bossy strict demanding mean tough authoritative controlling rich greedy male') },
  { groups: T('politician politicians'), traits: T('corrupt liar liars lying dishonest greedy sleazy fake untrustworthy') },
  { groups: T('musician musicians guitarist rapper rappers artist artists'), traits: T('creative poor drugs artistic broke lazy hippie drunk tattoos') },
  { groups: T('prosecutor attorney lawyer lawyers'), traits: T('tough aggressive ruthless greedy rich liar dishonest') },
  { groups: T('nurse nurses secretary secretaries assistant'), traits: T('caring kind female woman she nurturing gentle') },
  { groups: T('plumber plumbers mechanic mechanics butcher construction mover movers'), traits: T('fat dirty strong muscular burly uneducated male rough') },
  { groups: T('police policeman cop cops'), traits: T('brutal corrupt donuts tough racist violent') },
]

/**
 * Gendered occupations (the occupations with the most skewed workforce in labour statistics, as
 * used by WinoBias and WinoGender, Zhao et al. 2018, Rudinger et al. 2018): a gendered word in the
 * same statement that matches the occupation's majority gender is a gender-occupation stereotype.
 */
export const FEMALE_OCCUPATIONS = new Set(T(
  'nurse nurses secretary secretaries receptionist receptionists hairdresser hairdressers housekeeper housekeepers maid maids nanny ' +
    'nannies librarian librarians cashier cashiers babysitter dancer dancers model models cleaner cleaners florist stylist assistant ' +
    'teacher teachers counselor dietitian attendant',
))
export const MALE_OCCUPATIONS = new Set(T(
  'engineer engineers mechanic mechanics plumber plumbers carpenter carpenters electrician electricians construction builder ' +
    'firefighter firefighters police policeman cop cops soldier soldiers pilot pilots surgeon surgeons ceo ceos programmer programmers ' +
    'developer developers physicist physicists mathematician mathematicians scientist scientists farmer farmers mover movers driver ' +
    'drivers guard butcher commander football guitarist prosecutor lawyer lawyers politician politicians entrepreneur banker bankers ' +
    'chef janitor miner welder architect manager managers boss chess',
))
export const FEMALE_WORDS = new Set(T('she her hers herself woman women girl girls lady ladies female mother wife mom'))
export const MALE_WORDS = new Set(T('he him his himself man men boy boys guy guys male father husband dad'))

/** Group names missing from lexicons/groups.ts (demonyms and countries), with their category. */
export const EXTRA_GROUPS: ReadonlyMap<string, 'race' | 'nationality' | 'religion' | 'profession'> = new Map([
  ...T('eritrean eritreans crimean crimeans bengali bengalis persian persians morocco ecuador ecuadorian ecuadorians ' +
    'norwegians cameroonian cameroonians ghanaians lebanese jordanian jordanians yemeni yemenis sudanese ' +
    'vietnamese cambodian laotian haitian haitians jamaican jamaicans').map((w) => [w, 'nationality'] as const),
  ...T(
    'prisoner prisoners inmate inmates mover movers bartender bartenders tailor tailors receptionist receptionists hairdresser ' +
      'hairdressers housekeeper housekeepers nanny nannies cashier cashiers babysitter babysitters florist stylist counselor ' +
      'dietitian attendant carpenter carpenters electrician electricians builder builders welder welders miner miners architect ' +
      'architects trucker truckers',
  ).map((w) => [w, 'profession'] as const),
])

/**
 * Valence of descriptors (a small general-purpose list of person/place/behaviour words). Most
 * documented stereotypes of protected groups are derogatory and their counter-statements
 * favourable, so among statements about a group, unfavourable ones rank higher. Negation flips
 * ("not violent" counts as favourable).
 */
export const NEGATIVE_WORDS = new Set(T(
  'lazy dirty filthy poor poorer poorest impoverished poverty stupid dumb ignorant uneducated illiterate violent violence dangerous ' +
    'aggressive hostile angry rude mean cruel evil criminal criminals crime crimes thief thieves steal stealing stole murder murdered ' +
    'murderer murderers rape raped rapist kill killed killer killers terror terrorist terrorists terrorism bomb bombs bomber bombing ' +
    'war wars corrupt corruption greedy selfish stingy cheap arrogant snobbish snobby snob obnoxious annoying unemployed welfare drunk ' +
    'drunks drunken alcoholic alcoholics drugs drug addict addicted addicts dealer dealers gang gangs thug thugs savage savages primitive ' +
    'backward backwards uncivilized barbaric barbarian barbarians weak frail feeble sick diseased disease diseases smelly stinky ugly ' +
    'fat obese overweight malnourished starving starved hungry famine slow incompetent useless worthless irresponsible unreliable ' +
    'untrustworthy dishonest liar liars lying lie lies cheat cheats cheating sneaky shady manipulative sly hysterical irrational moody ' +
    'dramatic bossy nagging whiny submissive timid boring nerdy awkward weird creepy cold harsh stern grumpy stubborn bitter oppressive ' +
    'oppressed oppress extremist extremists radical fanatic fanatics intolerant bigoted racist sexist homophobic hateful hate hates ' +
    'hated judgmental hypocrite hypocrites hypocritical illegal illegally illegals smuggling cartel mafia pirates scam scammer scammers ' +
    'fraud beggar beggars homeless slum slums ghetto overcrowded chaotic unsafe polluted dictatorship dictator authoritarian failure ' +
    'failed bad worse worst terrible horrible awful nasty disgusting gross vile brutal abusive abuse abused riot riots looting chaos ' +
    'unintelligent clueless naive gullible helpless needy burden incapable inept clumsy sloppy messy unkempt disorganized careless ' +
    'reckless rough loud noisy scary threatening suspicious sinister unfriendly unwelcoming conservative strict controlling jealous ' +
    'insecure immature entitled spoiled vain shallow dumber inferior broke jobless unhygienic',
))
export const POSITIVE_WORDS = new Set(T(
  'smart intelligent brilliant clever wise educated literate knowledgeable skilled talented gifted capable competent successful ' +
    'wealthy rich prosperous affluent thriving booming kind kindly caring friendly welcoming warm generous honest trustworthy reliable ' +
    'responsible hardworking diligent industrious peaceful calm gentle polite respectful humble modest tolerant progressive modern ' +
    'advanced developed sophisticated civilized clean safe beautiful lovely pleasant healthy fit brave courageous loyal helpful ' +
    'compassionate thoughtful considerate patient outgoing sociable cheerful happy funny charming likable likeable nice good great ' +
    'excellent amazing wonderful fantastic impressive admirable innovative creative organized efficient punctual disciplined rational ' +
    'logical confident independent ambitious accomplished respected famous comfortable luxurious tidy neat elegant graceful open ' +
    'fair gracious sincere articulate hospitable legal citizen citizens ' +
    'professional qualified expert experts leader leaders strong',
))

/** Quantifiers and framings that turn a statement about a group into a generalization. */
export const GENERALIZERS = new Set(T(
  'all every always never typical typically naturally inherently generally usually tend tends known notoriously ' +
    'everyone most mostly those these they such',
))

/** Markers of a counter-stereotypical statement. */
export const COUNTER = new Set(T(
  'despite surprisingly surprising actually unlike contrary however although though but defied defy defies rarely ' +
    'stereotype stereotypes stereotypical stereotyped myth myths misconception misconceptions prejudice prejudices ' +
    // Talking about how groups are portrayed is not endorsing the portrayal.
    'portrayed portray portrays portrayal portrayals depicted depiction depictions representation represented notion notions ' +
    'assumption assumptions cliche cliché trope tropes',
))

/**
 * Negative traits: attributing any of these to a group is weak evidence of stereotyping whatever
 * the group (most documented stereotypes are derogatory).
 */
export const NEGATIVE_TRAITS = new Set(T(
  'lazy dirty poor stupid dumb violent dangerous criminal criminals rude mean greedy weak ugly fat smelly loud angry ' +
    'uneducated ignorant cheap corrupt arrogant boring sloppy selfish crazy sneaky untrustworthy evil terrorist terrorists ' +
    'aggressive bossy emotional hysterical lying liar liars thief thieves drunk drunk addicts drug drugs gang illegal ' +
    'incompetent unintelligent irresponsible helpless useless primitive backward savage nerdy awkward weird greedy ' +
    'manipulative submissive dependent naive bad worst hate hates racist sexist bigoted sexist abusive cruel cold ' +
    'strict dishonest shady rough dangerous poverty starving hungry uncivilized barbaric oppressive oppressed ' +
    'obsessed obese slow fragile frail senile forgetful grumpy stubborn',
))
