"""Structure of an answer: which of the elements a good interviewer listens for are present.

Each element is a family of patterns over the normalised text (see `lexicon.Doc`): many ways
people actually say a thing ("let's say about 10000 devices", "is the input sorted?", "I'd want to
confirm", "my understanding is"), not one keyword. A match preceded closely by a negation
("we didn't have tests", "I don't think we need retries") does not count, unless the negation is
inside a condition ("if the consumer doesn't ack, we retry").

Some elements need more than one signal:
* `storage`: a store or broker named *with* a reason or an access-pattern detail,
* `outcome`: per category: coding = final complexity or tests, late in the answer, each actually
  made: a complexity with its value, a test with its case; "I'll think about the complexity later",
  "obviously I'd write tests" count for neither. Either one lands the answer (not both): the
  `complexity` and `tests` elements are scored and flagged on their own, so requiring both here
  would charge one gap twice, and the labelled answers count a stated final complexity as landed; fundamentals
  and design = a decision with a reason/tradeoff or a wrap-up; behavioral = a measurable result,
* `result`: a quantity next to a change ("cut p99 from 800 ms to 120 ms", "halved the pages"),
* `ownership`: first-person actions outweigh "we"/"the team".
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from bot.analysis.lexicon import Doc, rx

# Where assumptions should be stated by (fraction of the answer) in coding and design answers.
EARLY_FRAC = 0.35
# Past this point a "requirement"/"do we need" mention is part of the solving, not an assumption
# made before it; an answer whose only assumptions come this late gets `assumptions_late`.
ASSUME_BY_FRAC = 0.5
# Behavioral answers set the scene at the start; later "it was about ..." is the story itself.
CONTEXT_BY_FRAC = 0.4
# Where a measurable result may start (earlier numbers describe the situation).
RESULT_FROM = 0.3

NEGATORS_NEAR = {"no", "not", "without", "never", "nobody"}  # negate within 2 tokens
NEGATORS_FAR = {
    "didn't", "don't", "doesn't", "wasn't", "weren't", "won't", "wouldn't", "haven't", "hasn't", "hadn't",
    "couldn't", "can't", "cannot", "shouldn't", "isn't", "aren't", "forgot", "skipped", "skip", "ignore",
    "ignored", "ignoring", "neither", "nor", "never", "not", "didnt", "dont", "doesnt",
}  # negate within 4 tokens
CONDITIONALS = {"if", "when", "unless", "whether", "case", "what", "ensure", "sure", "avoid", "prevent", "even"}
NUM = r"\d[\d.]*"

# ------------------------------------------------------------------ pattern families
ASSUMPTION = rx(
    r"(?:i|we)(?:'ll|'d| will| would| can| could| should| am going to|'m going to| are going to|'re going to)? (?:just )?assum\w*",
    r"assuming", r"assumptions?", r"an assumption", r"presum\w+",
    r"let's (?:just )?(?:say|assume|suppose|pretend|take|imagine|go with|stick with|treat|keep it|consider|also say|start by|first)",
    r"let us (?:say|assume|suppose|take)",
    r"(?:so|and|ok|now|if|but|just|or|maybe) say (?:we|there|it|the|each|every|roughly|about|around|approximately|maybe|like|a|an|\d)",
    r"say (?:we have|we get|we need|we're|there are|there's|about|around|roughly|approximately|it's|its|each)",
    r"suppos(?!ed to)\w+", r"given that", r"given (?:the|our|these|those) (?:constraints?|requirements?|scale|load|size|volume|traffic|input|limits?)",
    r"given (?:we|it|they)(?:'re|'s| are| is| have| only)",
    r"if we(?:'re| are) (?:talking|dealing|looking|working) (?:about|with|at)",
    r"i(?:'d| would| will|'ll)? (?:want|like|need|have|wanna|want) to (?:first )?(?:confirm|clarify|ask|nail down|pin down|double check|check (?:whether|if|what|with|the (?:constraints|requirements|input)))",
    r"i(?:'d| would) (?:want|like|need|have|wanna|want) to (?:first )?(?:know|understand)", r"i (?:want|wanna) to (?:first )?(?:know|understand|confirm|clarify)",
    r"(?:can|could|may|should) i (?:ask|assume|check|clarify|confirm)",
    r"(?:quick|first|one|a|couple of|few|some) (?:quick )?(?:clarifying |clarification )?questions?",
    r"clarif\w+", r"confirm(?:ing)? (?:that|whether|if|what|a few|some|the (?:input|constraints|requirements|scale))",
    r"(?:what(?:'s| is| are| would be)|how (?:big|large|many|much|fast|often|long|frequently)) (?:the |our |we )?(?:expected |typical |peak |average |rough |target |max |maximum )?(?:load|traffic|volume|scale|size|throughput|rate|latency|qps|number|input|range|constraints?|requirements?|limits?|users|devices|requests|events|data|elements|items|is the|are the|do we)",
    r"(?:pin|nail) (?:down|it down)", r"my understanding is", r"as i understand it", r"if i understand (?:it |this |that )?(?:correctly|right)",
    r"i(?:'m| am) (?:guessing|presuming|thinking that|taking it)", r"i(?:'m| am) thinking (?:maybe|about|around|roughly|like|something like|probably|we(?:'ll| will)? (?:have|get|see)|there(?:'s| are| will be))",
    # "for simplicity I ...", not "so for this I would use kafka" (a choice, not a constraint)
    r"(?:for (?:now|simplicity|the sake of (?:simplicity|time|argument))|to keep (?:it|things) simple),? (?:i|we|let's)(?:'ll|'d|'m|'re| would| will| am going to| are going to)?(?! (?:just )?(?:use|go with|pick|put|add|build|reach for|throw)\b)",
    r"(?:i|we)(?:'m| am|'re| are) going to treat", r"(?:i|we)(?:'ll| will)? treat (?:it|the|this|them|each|every|that) (?:\w+ ){0,3}as",
    r"we can (?:take it|assume|say|treat|consider|suppose)", r"(?:i|we)(?:'ll| will| can)? take it (?:that|as)",
    r"take (?:it|that|this) (?:as given|for granted)",
    r"before (?:i|we) (?:start|begin|dive|jump|code|write|get|design|go)", r"before (?:diving|jumping|starting|coding|writing|getting|designing)",
    r"(?:is|are|will|would|can|could|does|do|should) (?:the |we |it |they |all )?(?:input|array|list|string|strings|numbers?|values?|keys?|ids?|events?|intervals?|windows?|data|elements?|timestamps?|items?|graph|edges?|tree|clients?|requests?) (?:\w+ )?(?:be |always |already |guaranteed |come |arrive |have |contain |fit |assumed )?(?:sorted|unique|distinct|bounded|small|large|fit|in memory|negative|null|empty|ordered|integers?|ascii|valid|duplicated?|duplicates|in order|out of order|cycles?|connected|overlap\w*)",
    r"(?:in|out of) scope", r"scope (?:it|this|things) (?:down|to)", r"scoping",
    r"constraints?", r"requirements?",
    r"(?:i|we|i'll|let's) (?:take|use|go with) (?:a |some )?(?:rough|ballpark) (?:numbers?|estimates?|figures?)",
    r"ballpark", r"back of (?:the )?envelope", r"order of magnitude", r"rough (?:estimate|numbers?|guess|math)",
    r"(?:does|do|should|would|will) (?:it|we|this|the (?:system|service|api|function|solution)) (?:need|have) to",
    r"do we (?:need|care|have|expect|want|know|support|allow|get|handle)", r"do (?:i|you) (?:need|want|care|expect)",
    r"is it (?:ok|fine|safe|reasonable|acceptable|fair|alright) (?:to|if)",
    r"fits? in (?:memory|ram|one machine|a single machine)", r"assumes?", r"assumed",
    r"how (?:many|much|big|large|often|fast|long|frequently) (?:\w+ ){0,3}(?:are we|do we|will|would|can|could|should|is|are|does|did)",
    r"(?:let me|i'll|i will|i'm going to|i am going to|let's) (?:just )?(?:go with|pick|take|use|say|plan for|design for) (?:a |an )?(?:about|around|roughly|maybe|something like|like|\d|a few|several|a couple|yes|no)",
    r"take (?:it|that) (?:yes|no)", r"(?:i'll|i will|let's|i'm going to) (?:say|go with|assume) (?:yes|no|both|neither)",
    r"is that (?:right|correct|fair|ok|true|a fair assumption|reasonable)", r"correct me if", r"(?:i'd|i would|i'll|we'd|we would) (?:need|want|like) to know",
    r"(?:could|can) you tell me", r"what counts as",
    r"can (?:there|we|it|they) (?:be|have|contain) (?:duplicates|negative|empty|nulls?|zero|repeated)",
    r"(?:i'm|i am|we're|we are) (?:told|given) (?:that )?",
    r"the (?:input|data|stream|array|list) (?:is|are|will be|can be|could be|comes|arrives) (?:sorted|unsorted|small|large|huge|bounded|unbounded|ordered|in order|out of order|at most|up to|roughly|about|around)",
    r"(?:up to|at most|no more than|maximum of|max of) " + NUM + r" (?:\w+ )?(?:elements|items|entries|events|records|ids|numbers|values|requests|clients|devices|users|nodes|intervals|windows|keys)",
)

# Behavioral: set the context and scope (situation, role, what system).
CONTEXT = rx(
    r"(?:at|in) (?:my|our|a|the|one) (?:\w+ )?(?:last|previous|current|old|former|first|second|prior|early)? ?(?:job|company|role|team|startup|employer|position|internship|gig|client|workplace|org|organization)",
    r"(?:when|while) i was (?:at|working|on|the|a|an|leading|running|in charge|with)",
    r"(?:at|for|in) (?:a|an|one|my|our|this) (?:\w+ ){0,2}(?:marketplace|fintech|bank|retailer|startup|scale ?up|agency|consultancy|saas|e ?commerce|ecommerce|logistics|insurer|insurance|telco|hospital|airline|publisher|broker|exchange|enterprise|unicorn|corporation|corp|firm|studio)s?",
    # a role said without an article: "I was tech lead for a search revamp", "I was senior engineer on payments"
    r"i(?:'m| am| was)? (?:work|worked|working) (?:as (?:a |an |the )?\w+(?: \w+)? )?(?:at|for|on|in|with) (?:a|an|the|my|our|one) (?:\w+ ){0,3}(?:company|startup|team|platform|bank|agency|retailer|firm|client|org|organi[sz]ation|service|product|marketplace|fintech|business|shop|scale ?up|insurer|consultancy)",
    r"(?:as|i'm|i am|i was) (?:a |an |the )?(?:\w+ ){0,2}(?:tech lead|team lead|lead|engineer|developer|dev|sre|architect|manager|intern|contractor|consultant) (?:at|for|on|in|of|with) (?:a|an|the|my|our)",
    r"i was (?:\w+ ){0,2}(?:tech lead|team lead|lead|lead engineer|lead developer|engineering manager|staff engineer|senior engineer|backend engineer|engineer|developer|sre|architect|owner|intern|contractor|consultant|product owner|scrum master|point person|dri)s? (?:for|on|of|at|in|over|with)",
    r"(?:that|my|a|the|our) (?:previous|last|current|old|former|first) (?:job|company|role|team|employer|position|gig|startup|project)",
    r"i was (?:working|on the|on a|leading|responsible|in charge|tasked|asked|assigned|hired|brought|owning|the only|one of|part of|on call)",
    # "I was the only backend engineer", not "I was a bit nervous"
    r"i was (?:the|a|an) (?:\w+ ){0,2}(?:engineers?|developers?|devs?|lead|owner|manager|intern|members?|one|only|architect|sre|contractor|consultant|person|hire|maintainer|reviewer|on ?call|responsible|admin|analyst|founder|cto)",
    r"(?:this|it|that) was (?:at|when|during|back|around|last|a couple|a few|my|our|(?:in|on) (?:my|our|the \w+ team|a \w+ team)|in (?:19|20)\d\d)",  # not "it was about a bug", "it was in the logs"
    r"(?:this|it|that) was (?:in|on|at|with|for) (?:a|an|our|my|the) (?:\w+ ){0,2}(?:service|system|platform|pipeline|api|app|application|team|company|startup|codebase|product|job|client|project|bank|retailer)",
    r"back (?:in|when|at)", r"a (?:few|couple(?: of)?|\d+) (?:years|months|weeks) ago", r"(?:years|months) ago",
    r"last (?:year|quarter|summer|spring|fall|winter|month)", r"in (?:19|20)\d\d",
    r"(?:the|our|my) (?:context|situation|background|setup|goal|task|mission|problem|project|job) (?:was|here|there)",
    r"(?:we|our team|my team|the team) (?:had|ran|owned|maintained|built|managed|supported|inherited|were running|was running|were building|was building) (?:a|an|the|this|our|my|one|some) (?:\w+ ){0,3}(?:service|system|platform|pipeline|api|database|app|application|product|tool|cluster|backend|job|integration|feature)",
    r"i (?:had|ran|owned|maintained|managed|supported|inherited|was running|was building) (?:a|an|the|this|our|my|one|some) (?:\w+ ){0,3}(?:service|system|platform|pipeline|api|database|app|application|product|tool|cluster|backend|job|integration|feature)",
    r"(?:i|my team|our team|we|the team) (?:owned|own|maintain|maintained|was responsible for|were responsible for|am responsible for|are responsible for)",
    r"(?:nobody|no one|no team) (?:\w+ )?(?:owned|was responsible for|maintained|looked after|wanted)",
    r"(?:(?:our|my) (?:\w+ ){0,3}|(?:the|a|an) (?!\w+ (?:was|were|had|kept|took|would|did)\b)(?:\w+ ){1,3})(?:service|pipeline|system|api|platform|app|application|database|job|tool|integration|gateway|batch|cluster|website|backend|codebase|queue|deploy\\w*|build) (?:\\w+ ){0,2}(?:was|were|had|kept|took|used to|started|would|did|didn't|wasn't)",
    r"(?:we|i) had (?:\w+ ){0,5}(?:days?|weeks?|months?|engineers?|people|developers?) to",
    # "there was this flaky test suite that ...", not "there was this thing where ..."
    r"there (?:was|were) (?:this|a|an|one|some) (?!(?:thing|time|situation|point|moment|case|issue|problem|bug|stuff|one time)\b)(?:\w+ ){0,4}(?:that|which|where|who|in|at|on)",
    r"our (?:\w+ ){1,3}(?:was|were|had|hadn't|kept|took|used to|would|did|didn't|wasn't|weren't|never|ran)",
    r"(?:a|our|my|the) team of (?:\w+ )?(?:\d+|a few|several|a couple)", r"(?:we're|we are|we were) (?:a|an) (?:\w+ ){0,3}(?:team|squad|startup|company|shop)",
    r"(?:my|the) role", r"responsible for", r"(?:i|we) (?:was|were|went|got|am|are) on ?call", r"(?:i|we) once",
    r"on (?:the|my|our|a) (?:\w+ ){0,2}team",
    r"i was (?:\w+ )?(?:against|opposed|skeptical|sceptical|in favou?r) (?:of |about |with |on )?(?:the|our|a|an|this|that|their|his|her|my) (?:\w+ ){0,2}(?:plan|migration|rewrite|proposal|decision|idea|change|design|approach|launch|release)",
    r"(?:we|i) had (?:an?|one) (?:\w+ ){0,2}(?:incident|outage|customer|project|migration|launch|deadline|disagreement|conflict|argument|dispute|audit|release)", r"in charge of", r"on call for", r"i led", r"i was leading", r"tasked with",
    r"the \w+ (?:service|system|platform|pipeline|api|app|company|team|product|checkout|integration) (?:was|handled|handles|processed|processes|served|serves|did|ran|runs|had|took|kept)",
    r"so (?:basically |yeah |um |uh )?(?:there was|we had|i had|i was|we were) (?:on (?:the|a|an|our|my)|working (?:at|on|for|in))",
    r"the (?:situation|context|background|story) was", r"(?:let me|i'll|i will|i can) (?:set|give) (?:the|some|a bit of)? ?(?:context|background|scene)",
)

# a number, or a rough order of magnitude ("thousands a minute", "hundreds of thousands of devices")
MAGNITUDE = r"(?:dozens|tens|hundreds|thousands|millions|billions)(?: of (?:thousands|millions|billions))?"
APPROX_NUM = r"(?:" + NUM + r"|(?:a few|several|a couple(?: of)?|many|tens of|hundreds of|a|one) (?:hundred|thousand|million|billion)s?|" + MAGNITUDE + r")"
# A story that opens with what the speaker did ("I pushed a config change that took staging down")
# sets the scene too, but only as the opening; later the same words are just the action.
STORY_OPENER = rx(
    r"i (?:once )?(?:pushed|deployed|shipped|ran|made|built|wrote|joined|inherited|broke|took over|migrated|introduced|launched|owned|maintained|led|underestimated|designed|was asked) (?:a|an|the|our|my|this)",
)
# Someone else opening the story ("my tech lead wanted to split our monolith before a big launch") sets the scene
# only with the system or the stakes beside it; "my lead wanted ..." alone is the action starting.
PERSON_OPENER = rx(
    r"(?:my|our|a|one|the) (?:tech lead|manager|lead|boss|cto|colleague|teammate|coworker|team|director|pm|product manager|architect|customer|client|engineer|developer|senior engineer|stakeholder|partner team|vendor)s? (?:\w+ ){0,2}(?:wanted|asked|was|were|had|decided|suggested|proposed|insisted|pushed|kept|refused|started|would|did|needed|told|came|disagreed|argued|clashed)",
)
# ... but only when the opener says what was at stake or where: a relative clause, a place, a time
# ("I inherited a billing export that nobody understood", "I pushed a change at my last job");
# "so I built the API, I used node" is the action with no scene.
STORY_SCENE = rx(
    r"during", r"(?:at|for|in|on) (?:my|our|a|an|the) (?:\w+ ){0,2}(?:job|company|startup|team|employer|client|org|organi[sz]ation|bank|retailer|platform|department|shop)",
    r"(?:last|previous|first) (?:year|month|week|quarter|job|company|team)", r"(?:years|months|weeks) ago", r"our", r"(?:my|our) team's", r"the company's", r"production|prod|staging|outage|customers|users|revenue|deadline|launch",
)

# Taking something over says what the speaker owned, so a relative clause describing it is scene enough
# ("I took over a reporting job that finance ran every night"); "I pushed a migration that ..." is the action.
_OWNING_OPENER = rx(r"i (?:once )?(?:took over|inherited|owned|maintained|led|joined)")
_RELATIVE = rx(r"that", r"which", r"who", r"where", r"nobody", r"no one")

SCALE = rx(
    APPROX_NUM + r" (?:\w+ ){0,3}(?:a|per|every|each) (?:second|minute|hour|day)",
    APPROX_NUM + r" (?:\w+ ){0,2}(?:users?|devices?|vehicles?|cars?|sensors?|requests?|reqs|events?|messages?|writes|reads|records?|rows?|clients?|connections?|orders?|jobs?|payloads?|items?|keys?|calls?|transactions?|queries|query|points?|samples?|readings?|metrics|logs?|entries|updates?|pings?|heartbeats?|customers?|accounts?|factories|machines?|robots?|tasks?|files?|objects?|documents?|tenants?|stations?|chargers?|batteries|nodes|servers|partitions|shards|regions|sites|plants|lines|parts|skus|products)",
    NUM + r" (?:\w+ )?(?:qps|rps|tps|kb|mb|gb|tb|pb|kilobytes?|megabytes?|gigabytes?|terabytes?|petabytes?|bytes|hz|hertz|per second|a second|per minute|a minute|per day|a day|per hour|an hour|per month|a month)",
    r"(?:once|twice|\d+ times) (?:a|per|every|each) (?:second|minute|hour|day)",
    r"every " + NUM + r" (?:seconds|minutes|ms)",
    r"(?:requests|writes|reads|events|messages|queries|transactions|updates) (?:a|per) (?:second|minute|day|hour)",
    r"qps|rps|tps", r"throughput (?:of|is|around|about)", r"peak (?:of|load of|traffic of|rate of)",
    r"estimat\w+", r"back of (?:the )?envelope", r"ballpark", r"order of magnitude", r"rough (?:math|numbers?|estimate|sizing)",
    r"(?:millions|billions|thousands|hundreds) of (?:users|devices|vehicles|cars|requests|events|messages|writes|records|rows)",
    # an either/or magnitude question: "are we talking hundreds or hundreds of thousands?"
    r"(?:talking|talking about|looking at|is it|are there|do we have|do we get) (?:\w+ ){0,3}(?:" + NUM + r"|" + MAGNITUDE + r")(?: \w+){0,4} or (?:\w+ ){0,3}(?:" + NUM + r"|" + MAGNITUDE + r")",
)

RESTATE = rx(
    r"so (?:the|this|our) (?:problem|question|task|goal|ask|challenge|idea) (?:here )?(?:is|would be)",
    r"(?:the|this) (?:problem|question|task|ask) (?:is (?:asking|basically|essentially)|wants|asks)",
    r"so (?:basically |essentially |really |if i )?(?:we|i) (?:need|want|have|'ve got|got) to (?:\w+ )?(?:find|return|write|build|implement|merge|detect|design|count|check|figure|decide|compute|track|make|pass|process|limit|produce|output|get|keep|emit|determine|report|handle|take)",
    r"if i understand (?:it |this |that |the (?:problem|question) )?(?:correctly|right)", r"so what you(?:'re| are) asking",
    r"in other words", r"let me (?:restate|repeat|rephrase|make sure i understand|summari[sz]e the (?:problem|question))",
    r"to restate", r"(?:just )?to make sure i understand", r"(?:just )?to (?:double )?check (?:i|that i) understand",
    r"we(?:'re| are) given", r"(?:so )?given (?:a|an|some) (?:list|array|stream|string|set|bunch|sequence|collection|number|graph|tree|map)",
    r"(?:the )?input is (?:a|an)", r"(?:the )?output (?:is|should be|would be)",
    r"so (?:i|we)(?:'m| am|'re| are) (?:being asked|asked) to", r"the goal (?:here )?is to",
    r"(?:we|i) (?:basically |essentially )?(?:get|receive|have) (?:a|an) (?:list|array|stream|string|set|bunch|sequence) of",
    r"(?:rephras|restat)\w*", r"if i (?:get|got|have|understand|read|heard) (?:it|this|that|you) (?:right|correctly)", r"(?:i|we) (?:want|need|have) to return", r"(?:so )?we(?:'ve| have) got (?:a|an|some)", r"the task is",
    r"(?:so )?basically (?:we|i)(?:'re| are| am|'m)? (?:need|want|have|trying) to", r"(?:we|i)(?:'re| am|'m| are) trying to (?:find|return|build|detect|merge|count|compute|figure)",
)

BASELINE = rx(
    r"brute(?:\s|-)?force", r"naive\w*", r"(?:simplest|easiest|easy|lazy|most obvious|obvious|straightforward|simple|basic|dumb|dumbest|initial|quick and dirty|naive) (?:\w+ )?(?:way|approach|solution|thing|version|idea|pass|option|implementation|method|attempt|cut|fix|one|answer|algorithm)", r"(?:my |the )?first (?:approach|solution|version|idea|pass|attempt|cut|option)",
    r"start (?:with|off with|by) (?:a |the |something )?(?:simple|naive|basic|dumb|straightforward|obvious|brute)",
    r"(?:check|compare|try) (?:every|each|all) (?:pair|pairs|combination|combinations|element|option|possible)",
    r"nested (?:loops?|for)", r"(?:loop|iterate|scan|go) (?:over|through) (?:everything|all of them|the whole|every|each) .{0,40}(?:again|each time|for each|every time)",
    r"(?:my )?first (?:instinct|thought|idea|approach|attempt|pass|version)", r"(?:works|correct) but (?:it's |is )?(?:slow|quadratic|inefficient)",
    r"(?:a|the) (?:\w+ )?(?:simple|correct) (?:\w+ )?(?:solution|version) first", r"the simple (?:correct )?solution",
    r"(?:quadratic|o of n squared|n squared|exponential)", r"greedy", r"(?:plain|simple|basic|naive|straight) (?:recursion|recursive|loop|scan|search|sort|iteration|approach|version|dfs|bfs)", r"recomput\w+", r"(?:i|we|you) (?:could|can|cannot|can't|couldn't) just", r"one (?:way|option) (?:is|would be) to",
    r"(?:that|this|it) would be (?:o of|n squared|n log n|quadratic|slow|too slow|exponential|wasteful)",
)

IMPROVEMENT = rx(
    r"(?:we|i|you) can do better", r"(?:to|we can|i can|i'd|i would|let's|let me|then) (?:\w+ )?(?:optimi[sz]e|improve|speed (?:it|this|that) up)",
    r"optimi[sz]\w+", r"improv\w+", r"(?:a |the )?(?:better|faster|smarter|more efficient|cleaner|optimal|linear|cheaper) (?:\w+ )?(?:way|approach|solution|version|option|algorithm|structure|one|fix|idea)", r"but (?:i|we|you) can (?:do|use|keep|instead|avoid|just|get|reuse|store|track|sort)",
    r"(?:more|most) efficient", r"faster", r"speed (?:it|this|that|things) up", r"instead(?:,| of)? (?:we|i|you) (?:can|could)",
    r"instead of (?:scanning|looping|sorting|checking|comparing|recomputing|rescanning|iterating|storing|keeping)",
    r"(?:get|bring|reduce|cut|drop) (?:it|that|this|the \w+) (?:down )?to (?:o of|linear|n log|constant|log)",
    r"down to (?:o of|linear|n log|constant|log|n\b)", r"avoid (?:the |that |a )?(?:nested|quadratic|n squared|rescan|recomput|extra pass|second loop)\w*",
    r"trade (?:some )?(?:memory|space) for (?:time|speed)", r"use (?:a |an )?(?:hash|heap|set|map|dictionary|deque|stack|two pointers?|sliding window|binary search|trie|priority queue)\w* (?:instead|to avoid|so that|so we|to get|to make)",
    r"(?:the )?(?:optimized|optimised|improved) (?:\w+ )?(?:version|solution|approach)", r"(?:second|next) (?:pass|version|approach|step) (?:is|would be)",
    r"(?:that|this|it|the \w+) (?:gets|brings|takes|cuts|reduces|drops) (?:us |it |this |that )?(?:down )?to", r"(?:i|we|you) can (?:\w+ ){0,6}instead",
    r"(?:with|using|switch to|switching to) (?:a |an )?(?:hash|heap|set|map|dictionary|sorted|two pointers?|sliding|binary|trie|stack|deque|prefix|bitmap|bloom|priority|counter|memo)\w* (?:\w+ ){0,4}(?:i|we|you|it) (?:can|could|get|only)",
    r"memoi[sz]\w+", r"better", r"cheaper", r"switch(?:ing)? (?:over )?to", r"cach(?:e|ing) (?:the )?(?:results|subproblems|answers)",
)

COMPLEXITY = rx(
    r"(?:time|space|memory|runtime|run time|big o|big oh|overall|total|worst case|average case|amortized) complexity", r"complexity",
    r"big (?:o|oh)", r"(?:o|oh) of", r"linear(?:ly)?(?: time| space| in)?", r"quadratic", r"logarithmic", r"exponential",
    r"(?:n|and|in|end|k|m|e|v) log (?:n|and|in|k|end|m|e|v)", r"log (?:n|k|v|e|m)", r"(?:v|e|n|m|k) (?:plus|times) (?:v|e|n|m|k)", r"(?:n|and|end) squared", r"constant (?:time|space|memory|extra|amount)",
    r"runs? in (?:o|linear|constant|n|log)", r"amortized", r"proportional to (?:n|the (?:number|size|length))",
    r"(?:time|memory|space) (?:is|would be|will be|stays|grows) (?:o|linear|constant|proportional|n|bounded|log)",
    r"(?:n|k|m) times (?:k|m|log|n)", r"(?:in|of) time and (?:\w+ ){1,4}(?:in|of) space", r"(?:time|space) (?:cost|usage|bound)",
)

# what a worked case comes out as: "13 gives 4", "we get 11", "zero stays zero", "which is 4"
_CASE_RESULT = (r"(?:gives|give|returns|yields|outputs|becomes|comes out|should (?:give|return|be)|equals|goes to|ends up|stays|remains|we get|i get|you get|gets|"
                r"turns into|maps to|evaluates to|is (?=\d)|which is (?=\d))")

TESTS = rx(
    r"tests?", r"testing", r"tested", r"unit tests?", r"edge cases?", r"corner cases?", r"boundary (?:cases?|conditions?|values?)",
    r"empty (?:list|array|input|string|stream|set|map|case|window|graph|tree|intervals?|queue)", r"(?:null|none|nil) (?:input|values?|case)",
    r"(?:a |one |only one |just one )?single (?:element|item|interval|window|event|node|character|request|value)",
    r"dry (?:run|running)", r"walk (?:through|thru) (?:an |a |the |this |some )?(?:example|case|input|sample)",
    r"(?:try|run|check) (?:it |this |that )?(?:on|with|against) (?:an |a |the |some )?(?:example|small|simple|empty|sample|input|few)",
    r"(?:for|as an|take an|with an|let's take an|quick) example", r"trace (?:through|it|this)", r"sanity check",
    r"(?:what if|what about) (?:the (?:input|list|array|stream) is )?(?:empty|null|negative|duplicates|zero|one element|a single)",
    r"off by one", r"(?:i'd|i would|i will|i'll|let me|let's|we'd|we should|i can) (?:also )?(?:check|test|try|verify|run|validate) (?:a|an|it|this|that|with|on|against|what|whether|some|two|one)",
    r"(?:should|must|would) (?:return|give|output|fail|raise|throw|be rejected|come back|produce|print)",r"(?:try|trying|run|check|checking) (?:it |this |that |them )?(?:on|with|against) (?:\w+ )?(?:empty|one|a|an|two|some|the|small|simple|sample|input|example|few|edge|duplicate|identical|negative|zero|single)", r"overflow", r"(?:negative|duplicate|repeated|huge|large|very large|invalid|malformed) (?:numbers|values|inputs?|ids|keys|timestamps|events|elements)",
    r"verif\w+", r"assert\w*", r"to (?:check|verify|confirm|prove|validate) (?:it|this|that|the (?:solution|code|function|fix))", r"make sure (?:it|that|the \w+|we) (?:\w+ ){0,4}(?:only|once|exactly|returns|works|comes back|fails|handles|rejects)", r"(?:send|run|call|feed|pass|replay|submit) (?:it |the same \w+ |a \w+ |the \w+ )?(?:twice|two times|again)", r"(?:let me|let\'s|i\'ll|i\'d) try (?:a few|some|it|this|that|an?|the)", r"expected output", r"(?:make sure|check) (?:it|that it) (?:works|handles|returns)",
    r"(?:normal|happy|typical|failure|error) (?:case|path)s?",
    r"(?:checking|walking (?:through|thru)|stepping through|tracing|running through|going through|testing|trying) (?:it|this|that|the (?:code|function|solution))",
    r"(?:if|when) (?:i|we|you) (?:run|try|feed|plug|call|test|give|pass|check|trace) (?:\w+ ){0,2}(?:on|with|in|into|against|through)",
    r"plug(?:ging)? (?:in|it)", r"feed(?:ing)? (?:it|in)", r"(?:on|with|for) (?:the )?input", r"(?:by|on) hand",
    # a bare "checking" with a concrete case: "checking, 13 gives 4", "quick check: open close gives true"
    r"(?:checking|verifying|testing|trying|tracing|check|verify|test|try)(?: it| that| this)?(?: on| with| for| against)? (?:say |like |an? |n (?:is|equals) )?" + NUM
    + r"(?: \w+){0,6}? " + _CASE_RESULT,
    # a trace of values: "trying 99: 18, then 9"
    r"(?:checking|verifying|testing|trying|tracing|check|verify|test|try)(?: it| that| this)?(?: on| with| for)? " + NUM + r" (?:\w+ )?" + NUM,
    r"(?:quick|sanity|simple|fast|small) check (?:\w+ ){0,10}?" + _CASE_RESULT, r"sanity (?:\w+ ){0,8}?" + _CASE_RESULT,
    # "so if n is 38 we get 11 and then 2"
    r"if (?:n|x|k|m|the input|the number|the array|the string|the list|the amount|the target|input) (?:is|equals|were) " + NUM + r"(?: \w+){0,4}? " + _CASE_RESULT,
)

REQUIREMENTS = rx(
    r"requirements?", r"(?:non ?)?functional(?:ly)?",
    # said indirectly: "so the ask is basically ...", "reservations must be exact", "lookups can be stale",
    # "online means we heard from it in the last 90 seconds"
    r"(?:the|our) (?:main |real )?ask (?:is|here)", r"what (?:they|we|you|the (?:\w+ ){1,2}?\w+) (?:are |is )?ask(?:ing|s|ed)? for is", r"(?:the )?(?:goal|job|point) of (?:the|this) (?:system|service|design) is",
    r"(?:must|has to|have to|needs? to|should|got to) (?:always |never |still )?be (?:exact|exactly right|accurate|correct|consistent|strongly consistent|durable|fresh|up to date|real ?time|ordered|in order|auditable|available|within|under|less than|fast|idempotent|immediate|instant|visible)",
    r"(?:can|could|may|is allowed to|are allowed to) (?:be|get|go|run|lag|fall) (?:a (?:bit|little) |slightly |up to |a few |\d+ )?(?:stale|eventually consistent|approximate|behind|delayed|late|out of date|lossy|seconds|minutes|off)",
    r"(?:is|are) (?:fine|ok|okay|allowed|acceptable) (?:to be|being) (?:stale|late|behind|approximate|off|delayed|eventually)",
    r"(?:online|offline|active|inactive|healthy|unhealthy|stale|late|done|delivered|available|idle|stuck|complete|completed|valid|expired|duplicate|live) (?:means|counts as|is defined as|should mean|would mean|will mean)",
    r"(?:we|they|users?|operators?|clients?|customers?|the business) (?:can|could) (?:live with|tolerate|accept)",
    r"(?:counts?|counted|is|are|gets?|marked|flagged|considered|treated) (?:as )?(?:online|offline|active|inactive|healthy|unhealthy|stale|late|dead|idle|stuck|expired|lost) (?:after|when|if|once|until)",
    r"(?:the )?(?:main|key|core|first|big|most important) things? (?:we|it|they|the \w+|users?|operators?) (?:need|needs|care|cares|want|wants|has to|have to)", r"(?:we|it|the system|the service) (?:need|needs) (?:to )?(?:the|a|an|every|each|be|support|handle|store|keep|show|give|know|track|serve|let)", r"(?:we|it|the system|the service|they) (?:need|needs|want|wants) (?:\d+|two|three|a few|several|a couple of) things",
    r"(?:it|the system|the service|we|this|the api|the platform|the design|the solution) (?:needs?|has|have|should|must) (?:to )?(?:be able to|support|handle|accept|store|serve|return|guarantee|tolerate|survive|keep|ingest|track|expose|allow|let)",
    r"(?:users?|clients?|devices?|callers?|operators?|services?|vehicles?|teams?|people|someone|supervisors?|admins?|customers?|drivers?|engineers?|analysts?|planners?|technicians?|auditors?|managers?) (?:should|need to|needs to|must|want to|wants to|will want to|have to|has to|can) (?:be able to )?\w+",
    r"latency (?:target|budget|requirement|under|below|of|sla|goal|needs)",
    r"(?:should|must|needs? to|has to|have to) (?:be|stay|come back|return|complete|finish|respond) (?:\w+ )?(?:under|below|within|less than|in under|at most|no more than) " + NUM, r"(?:high |highly )?availab\w+", r"durab\w+", r"consisten\w+",
    r"slas?", r"slos?", r"(?:read|write)(?: |-)heavy", r"use cases?", r"core (?:features?|flows?|operations?|functionality)",
    r"(?:main|primary|key) (?:use case|operations?|flows?|job|goal|features?)", r"(?:clarify|confirm|ask) (?:what|whether|if|about|the)",
    r"do we need", r"should (?:it|we|the system|the service)", r"what (?:the system|it|the service|the api) (?:needs|has) to",
    r"freshness", r"real ?time", r"(?:at least|exactly|at most) once", r"ordering", r"retention", r"(?:must|should|needs to) (?:not|never) (?:lose|drop)",
)

ENTITIES_APIS = rx(
    r"apis?", r"endpoints?", r"(?:post|get|put|patch|delete) (?:request|endpoint|call|method|route|to|on|slash)", r"routes?", r"rest(?:ful)?", r"grpc", r"graphql", r"rpc",
    r"webhooks?", r"schemas?", r"entit(?:y|ies)", r"data ?models?", r"model (?:it|this|them|each|every) as", r"tables?", r"columns?", r"fields?",
    r"(?:primary|partition|sort|foreign|composite|clustering|row) keys?", r"\w+ id", r"ids", r"payloads?", r"request body", r"response (?:body|with|returns?|code)",
    r"returns? (?:a|an|the) (?:\w+ ){0,2}(?:list|id|status|object|response|json|record)", r"json", r"protobuf", r"avro", r"interfaces?", r"contract",
    r"resources?", r"crud", r"records? (?:has|have|with|contains?)", r"(?:the )?(?:main|core|key) (?:objects|entities|resources|tables|types)",
)

ARCHITECTURE = rx(
    r"load balanc\w+", r"api gateway", r"gateways?", r"(?:ingestion|ingest|api|web|app|application|stateless|compute|service|processing|worker|storage|caching|cache|edge|front ?end|backend|read|write) (?:tier|layer|service|fleet|cluster|nodes?|servers?|workers?|path)",
    r"workers?", r"consumers?", r"producers?", r"publish\w*", r"subscrib\w+", r"pub ?sub", r"message (?:queue|bus|broker)", r"queues?", r"streams?", r"streaming",
    r"pipelines?", r"(?:high|top)(?: |-)level", r"components?", r"horizontal\w*", r"scale out", r"in front of", r"behind (?:a|the)",
    r"(?:goes|go|flows?|sent|send|sends|forwards?|routes?|pushed|push|pushes|written|writes?|hands?|passes) (?:it |them |that )?(?:to|into|through|off to) (?:a|the|an|our)",
    r"sits? (?:in front|between|behind)", r"cdn", r"reverse proxy", r"kafka", r"kinesis", r"pulsar", r"rabbitmq", r"sqs", r"sns",
    r"microservices", r"services? (?:that|which|would|will|talks?|calls?)", r"architecture", r"fans? out", r"batch (?:jobs?|processing|layer)",
    r"cron", r"scheduler", r"dispatcher", r"orchestrat\w+", r"event bus", r"cluster",
    # staged growth: "read replicas first, then a cache, then partitioning the orders table"
    r"(?:read )?replicas?", r"(?:add|adding|put|putting|introduce|introducing|then|next|first) (?:in )?(?:a |an |some )?(?:cache|caching layer|cdn|load balancer|queue|read replicas?|shards?|partitions?)",
    r"(?:partition|shard)(?:ing|ed)? (?:the |our )?(?:\w+ )?(?:tables?|data|database|db|by|on|across)",
)

STORE_MENTION = rx(
    r"databases?", r"db", r"postgres", r"mysql", r"sql", r"nosql", r"cassandra", r"scylla", r"dynamo", r"mongo", r"redis", r"memcached?", r"s3",
    r"object (?:storage|store)", r"blob (?:storage|store)", r"time ?series", r"timescale\w*", r"influx\w*", r"clickhouse", r"bigquery", r"snowflake",
    r"(?:data )?warehouse", r"data lake", r"elasticsearch", r"hbase", r"bigtable", r"spanner", r"storage", r"persist\w*",
    r"kafka", r"kinesis", r"queues?",
    r"message broker", r"(?:commit|write ahead|append only|event) log", r"caches?", r"caching", r"rocksdb", r"sqlite", r"disk", r"tables?", r"key value (?:store|database)",
    r"relational", r"document (?:store|database|db)", r"column (?:store|family|oriented)", r"wide column",
)
STORE_DETAIL = rx(
    r"partition\w*", r"shard\w*", r"keyed by", r"key(?:ed)? on", r"index\w*", r"retention", r"ttl", r"expir\w+", r"append(?: |-)only",
    r"(?:write|read)(?: |-)heavy", r"compact\w*", r"replica\w*", r"durab\w+", r"consisten\w+", r"transactions?", r"transactional", r"acid",
    r"joins?", r"schema\w*", r"columnar", r"hot", r"cold", r"tiers?", r"archiv\w+", r"compress\w*", r"downsampl\w+", r"roll ?ups?", r"aggregat\w+",
    r"access patterns?", r"range (?:queries|scans?)", r"lookups?", r"primary key", r"time bucket\w*", r"by (?:device|vehicle|user|tenant|customer|time|day|hour) (?:id|and)",
    r"relations?", r"integrity", r"flexib\w+", r"scale (?:writes|reads|horizontally)",
)
REASON = rx(
    r"because", r"since", r"so that", r"so (?:we|it|you|i|the|that) (?:can|could|don't|won't|never|always|only|get|keep|stay|survive|avoid|lose)",
    r"which (?:means|lets|gives|allows|keeps|makes|helps|handles|avoids|guarantees|buys|is good|is great|scales|supports)",
    r"that way", r"in order to", r"the (?:reason|tradeoff|downside|cost|catch|price|benefit|advantage|upside|point) (?:is|being|here|there)",
    r"tradeoffs?", r"at the (?:cost|expense) of", r"(?:but|though) (?:you|we|it) (?:lose|give up|pay|need|have to)", r"rather than", r"instead of",
    r"as opposed to", r"compared to", r"versus", r"whereas", r"on the other hand", r"gives (?:us|you|me)", r"lets (?:us|you|me)", r"allows? (?:us|you|me)",
    r"to (?:avoid|prevent|keep|make sure|guarantee|reduce|handle|absorb|decouple|buffer|protect|survive|smooth|isolate|get|support|scale|store|replay|dedupe|bound|limit|cap|speed)",
    r"(?:good|great|better|best|built|designed|ideal|suited|fine|perfect) (?:for|at)", r"helps? (?:with|us)", r"handles?", r"means (?:we|you|that|the)",
    r"the (?:win|gain) is", r"as long as", r"unless",
    r"which (?:loses|costs|cuts|saves|reduces|adds|trades|halves|doubles|removes|drops|buys|wastes|risks|sacrifices)",
)

# Phrasings that commit to a choice; both a strong decision and a proposal accept them.
_COMMITMENT_PHRASES: tuple[str, ...] = (
    r"the (?:\w+ )?(?:call|choice|pick|decision|answer|winner|verdict|way to go|move|bet|recommendation) (?:here |then |for (?:\w+ ){1,3})?(?:is|would be|'s)",
    r"verdict", r"(?:is|'s|would be) (?:the )?(?:winner|way to go)", r"wins? (?:here|out|for (?:me|us))", r"(?:i|we)(?:'d| would|'ll| will) (?:probably |definitely )?go for",
    r"(?:my|the) vote (?:goes|would go|is)", r"(?:i'd|i would|we'd|we would) (?:bet on|back|side with)",
    # commitments said without "I'd": "the plan is X", "X it is, since ...", "X wins because ...", "I'm going to say X, because ...",
    # "we went X here"
    r"(?:the|my|our) plan (?:is|would be|here is)", r"(?!how\b|what\b|why\b|where\b|that\b|way\b|which\b|who\b|as\b)\w+ it is (?:since|because|then|here|for|as|given)", r"wins? (?:because|since|as|given)",
    r"(?:i'm going to|i am going to|i'll|i'd|i would|i will) (?:just )?say (?!that\b|it\b|the\b|this\b|a\b)\w+(?: \w+)? (?:because|since|as|here|given)",
    r"(?:i|we) went (?:for |with )?(?!to\b|through\b|back\b|from\b|down\b|up\b|live\b|over\b|on\b|into\b|out\b)\w+(?: \w+)? (?:here|because|since|in the end)",
)

# A committed choice: enough with a reason ("my recommendation is X, since ...").
STRONG_DECISION = rx(
    r"(?:i|we|you)(?:'d| would| should|'ll| will| could)? (?:probably |definitely |still |just |usually |typically |generally |normally |actually |personally |likely )?(?:pick|choose|go with|recommend|prefer|lean towards?|lean toward|default to|opt for|settle on|land on|favor|favour)",
    r"the (?:key|main|big|core|central|important) (?:choice|decision|call|idea|design choice|bet) (?:is|here|would be)",
    r"if (?:i|we|you) (?:had|have|were) to (?:pick|choose|go with|recommend|bet|decide)", r"if (?:i|we|you) (?:can|could) only (?:\w+ ){0,3}one",
    r"my (?:default|choice|pick|recommendation|preference|answer|call|suggestion|vote)", r"(?:the|my) (?:answer|choice|recommendation|decision) (?:is|would be|here)",
    r"(?:i|we) (?:decided|chose|picked|went with|opted|settled)", r"so (?:i'd|i would|we'd|we would|i'll|i will) \w+", r"and (?:i'd|i would|we'd|we would) (?:go with|pick|choose|recommend)",
    r"(?:use|pick|choose|go with|reach for) (?:a |an |the )?\w+(?: (?!to )\w+){0,3} (?:when|if|whenever|because|for (?!this|that|it|now|the))",
    r"(?:i|we) (?:would|'d|will|'ll)? ?(?:insist on|only|always|never)",
    r"(?:i'm|i am|we're|we are) (?:choosing|going with|picking|opting for|recommending|preferring|sticking with|betting on)",
    r"(?:is|would be|'s) (?:the )?(?:better|best|right|safer|simpler|cheaper|sensible|obvious) (?:choice|option|fit|default|bet|approach|call|pick) (?:here|for)",
    r"my take", r"what (?:i'd|i would|i) (?:do|recommend|pick|choose|go with) is",
    r"(?:i'm|i am|we're|we are|i'd be|we'd be) (?:prioriti[sz]ing|optimi[sz]ing for|favou?ring|betting on)",
    *_COMMITMENT_PHRASES,
)
# Any proposal ("I'd put a cache in front"): counts only next to a tradeoff.
DECISION_PROPOSAL = rx(
    r"(?:i|we|you)(?:'d| would| should|'ll| will| could)? (?:probably |definitely |still |just |usually |typically |generally |normally |actually |personally |likely )?(?:pick|choose|go with|recommend|prefer|lean towards?|lean toward|default to|opt for|reach for|settle on|stick with|land on|favor|favour)",
    r"(?:i|we)(?:'d| would|'ll| will| should) (?:probably |definitely |still |just |first |then |also |actually )?(?:use|put|add|make|build|keep|store|model|design|start|set|do|introduce|wrap|cap|limit|shed|partition|shard|cache|retry|run|split|write|send|return|treat|rely|implement|go|want|need)",
    r"(?:i|we)(?:'d| would)(?! (?:say|think|guess|imagine|assume|like to|love to|expect|hope|argue that|probably say)\b)(?: \w+)? \w+",
    r"the (?:key|main|big|core|central|important) (?:choice|decision|call|idea|design choice|bet) (?:is|here|would be)",
    r"if (?:i|we|you) (?:had|have|were) to (?:pick|choose|go with|recommend|bet|decide)", r"if (?:i|we|you) (?:can|could) only (?:\w+ ){0,3}one",
    r"(?:going|opting|choosing|picking|sticking|starting) (?:with |for )?(?:the|a|an|this|that|one|our)",
    r"(?:going|opting|sticking) (?:with|for) (?!it\b|that\b|this\b)\w+",  # "going with postgres, it won't scale forever but ..."
    r"(?:so |then |and |here )?i (?:\w+ )?(?:use|pick|choose|go with|insist on|keep|put|prefer|recommend|accept|store|add|run|trade|favou?r|lean)",
    r"my (?:default|choice|pick|recommendation|preference|answer|call|approach|plan|suggestion|vote)", r"(?:the|my) (?:answer|choice|recommendation|decision) (?:is|would be|here)",
    r"(?:so|and) (?:i'd|i would|we'd|we would|i'll|i will|we'll)", r"(?:i|we) (?:decided|chose|picked|went with|opted|settled)",
    r"(?:use|pick|choose|go with|reach for) (?:a |an |the )?\w+(?: (?!to )\w+){0,3} (?:when|if|for|whenever|because)",
    r"(?:you|i|we) (?:want|need) (?:a |an |the )?\w+(?: \w+){0,2} (?:when|if|whenever|because)",
    r"(?:keep|use|put|store|pick|choose|go with|make|run|send|write|model|evaluate|do) (?:\w+ ){0,6}(?:rather than|instead of|over)",
    r"(?<!does )(?<!do )(?<!did )(?<!would )(?<!that )(?<!this )(?<!it )(?<!to )(?:makes?|made) (?:a lot of |the most |more |perfect |total |good )?sense",
    *_COMMITMENT_PHRASES,
)
TRADEOFF_MARK = rx(
    r"trade ?offs?", r"on the other hand", r"downsides?", r"drawbacks?", r"upsides?", r"the catch", r"(?:the )?(?:pro|con) is", r"(?:the |one |a |big |main )?(?:downside|drawback|catch|cost|con|cons|price) (?:is|being|here|there|of)",
    r"at the (?:cost|expense) of", r"pros and cons", r"in exchange", r"versus", r"compared to", r"whereas", r"as opposed to",
    r"(?:we|you|i) (?:lose|give up|sacrifice|pay|accept|trade)", r"rather than", r"instead of", r"trading (?:\w+ ){0,10}for",
    r"(?:pick|picked|picking|choose|choosing|chose|prefer|preferring|preferred|go with|going with|went with|go for|favou?r\w*) (?:\w+ ){0,4}over",
    r"(?:call|choice|pick|answer|winner|verdict|way to go|decision) (?:\w+ ){0,6}(?:over|instead of|rather than)",
    # what is optimised for: "prioritizing availability over strict ordering", "optimizing for writes over query flexibility"
    r"(?:prioriti[sz]\w*|optimi[sz](?:e|es|ed|ing) for|favou?r(?:ing|s)?|valu(?:e|ing)|putting) (?:\w+ ){1,5}(?:over|ahead of|before|above)",
    r"overkill", r"(?:would|will) (?:do|be enough|suffice)(?: fine| just fine)?(?: here| for now| at this (?:size|scale))?",
    # accepting a cost or rejecting an alternative: "staleness is fine here since ...", "we could shard by user, but then ...",
    # "that's the price", "it comes at a cost", "the cache isn't free"
    r"(?:is|are|'s) (?:fine|ok|okay|good enough|acceptable|tolerable) (?:here|for|because|since|as long as|given)",
    r"(?:we|i|you) could (?:also |instead |alternatively )?(?:\w+ ){1,8}but (?:that|it|this|then|we|you)",
    r"(?:is|that's|that is) the price", r"comes? (?:at|with) (?:a|the|some) (?:\w+ )?(?:cost|price|downside|risk)", r"(?:isn't|is not|not) free",
    # the cost of an option in its own words: "you add a broker, eventual consistency and async debugging"
    r"(?:you|we|it|that|this) (?:add|adds|introduce|introduces|take on|takes on|bring in|brings in) (?:\w+ ){0,4}(?:complexity|overhead|latency|moving parts|operational \w+|another (?:system|service|dependency|hop|component)|an? (?:broker|extra \w+)|eventual consistency|failure modes?|costs?)",
    r"(?:more|fewer|less|extra) (?:\w+ ){1,3}to (?:manage|run|operate|maintain|handle|store|keep|pay for|debug|learn),? but",
    r"(?:slower|harder|costlier|more expensive|more complex|heavier) (?:to \w+ )?(?:\w+ ){0,3}but",
    r"(?:we|you|i) (?:give up|lose|sacrifice|pay|trade away) (?:\w+ ){0,6}(?:but|in exchange|for)", r"in return", r"the price (?:is|we pay|you pay)",
    r"what (?:we|you) (?:give up|lose|pay|trade) is",
    r"(?:a bit|a little|slightly|much|a lot|somewhat) more (?:\w+ ){0,2}(?:logic|code|work|complexity|effort|latency|cost|storage|memory|moving parts|to run|to operate)",
    r"(?:an |one )?extra (?:\w+ ){0,2}(?:write|read|hop|call|step|round trip|dependency|system|service|component|cost|work)s?", r"(?:the right|a good|a fair|a reasonable|worth the) (?:trade|call|price|compromise)",
    r"(?:i'd|i would|we'd|we would|i'll|we'll) only (?:\w+ ){0,6}(?:once|when|if|until|past|above|beyond|after|at)", r"(?:doubles|triples|adds|increases|multiplies) (?:the |our )?(?:operational|ops|maintenance|cost|complexity|load|latency|work)",
    r"knowing (?:that|it|this|full well)", r"which is (?:fine|ok|okay|acceptable|a fair price) (?:for|because|since|as|here)",
    r"(?:is|are|be) (?:acceptable|tolerable|an acceptable|a fair)", r"(?:is|are) cheap to",
    r"(?:more|less) (?:\w+ ){0,3}than (?:\w+ ){0,5}but", r"(?:more|less) (?:\w+ ){0,2}to (?:operate|run|maintain|build|manage|test|debug) than",
    r"but (?:it's|it is|that's|that is|this is) the (?:cheapest|simplest|fastest|safest|easiest|only|best) (?:way|option|choice)",
    r"(?:more|less|extra|added) (?:complex\w*|latency|cost|overhead|memory|storage|operational|moving parts)",
    r"(?:cheaper|simpler|faster|slower|safer|easier|harder|costlier|more accurate|less accurate|more complex|more work)(?: \w+)?,? but", r"(?:it\'s|it is|that\'s|that is) (?:slower|more expensive|more complex|harder|less accurate|more work|costlier),? but", r"but (?:it|that|this|you|we) (?:costs?|means|adds?|makes?|requires?|needs?|is slower|is more|gets)",
    r"the (?:benefit|upside|advantage|win) is", r"(?:i|we|you)(?:'d| would) rather", r"(?:the |one |a |main |big )?risks? (?:is|being|here|there|of)",
    r"(?:we|i|you) can live with", r"(?:i|we)(?:'d| would| can|'ll| will)? accept", r"(?:fine|good|ok|okay|acceptable|enough) for (?:\w+ ){1,5}but not",
    r"worth (?:it|the|paying)", r"beats", r"(?:which|that|it) (?:loses|costs|sacrifices|gives up|wastes)", r"(?:safer|cheaper|simpler) than", r"(?:more|less) (?:work|effort|code) than", r"(?:we|you) (?:lose|gain)", r"(?:far |much |way )?(?:better|worse) than", r"(?:we|you) get",
    r"even though", r"but (?:we|you|it) (?:get|gain|keep|buy)", r"(?:we|you|i)(?:'d| would| will|'ll) (?:lose|give up|sacrifice|pay|accept|trade)", r"(?:the )?costs? (?:is|are|of|us|you|more|less)", r"(?:more|less) (?:expensive|accurate|consistent|available|flexible|reliable|durable)",
    r"pays? (?:for|off)", r"(?:but|though|although) (?:then|now)? ?(?:you|we|it|that|this)(?:'re|'s| are| is)? (?:\w+ )?(?:stuck|slower|harder|costlier|more|less|losing|paying)", r"(?:alternatively|the other option|another option|other approach|option (?:a|b|1|2|one|two))",
    r"(?:worth it|not worth|acceptable|good enough) (?:because|since|for|if|here)", r"balance (?:between|of)",
    # a limit conceded, then kept anyway: "it won't scale forever but ...", "it slows every insert a bit, but since ..."
    r"(?:it|that|this|which|they|postgres|redis|kafka)(?:'ll| will)? (?:won't|doesn't|isn't|can't|cannot|will not|does not|is not|wouldn't) (?:\w+ ){1,5}but",
    r"(?:it|that|this|which) (?:slows|hurts|costs|adds|complicates|increases|doubles|burns|eats|uses|makes|means) (?:\w+ ){0,6}but (?:since|because|given|as|at|here|for|with|in)",
    r"(?:happy|willing|glad|ok|okay|fine|content) (?:to pay|to take|to accept|to eat|to live with|to swallow|paying|taking|eating)", r"the trade (?:is|here|being)", r"(?:a|the) (?:\w+ )?(?:cost|price|hit) (?:i'm|i am|we're|we are|i'd|we'd|worth)",
)
TRADEOFF_LANDING = rx(
    r"(?:the |my |our )?(?:main |big |biggest |key |real |obvious )?trade ?offs? (?:is|here|being|i'd|i would|we'd|we make|i make|i'm making|worth)",
    r"(?:is|it's|that's) worth (?:it|the|paying)", r"(?:i|we)(?:'d| would| can|'ll| will)? (?:happily )?accept (?:that|this|it|the)",
    r"(?:which|that) (?:i|we) (?:think|feel|believe)? ?(?:is|are) (?:fine|acceptable|ok|okay|worth)", r"(?:we|i) can live with (?:that|this|it)",
    r"in exchange for", r"at the (?:cost|expense|price) of", r"trading (?:\w+ ){0,10}for",
    r"(?:more|less) (?:\w+ ){0,3}than (?:\w+ ){0,5}but", r"(?:more|less) (?:\w+ ){0,2}to (?:operate|run|maintain|build|manage|test|debug) than",
    r"but (?:it's|it is|that's|that is|this is) the (?:cheapest|simplest|fastest|safest|easiest|only|best) (?:way|option|choice)",
    r"(?:i'd|i would|i will|i'll) take that (?:trade|deal|cost|hit)", r"(?:that's|that is|it's|it is) the right (?:trade|call|choice|tradeoff)", r"the reason (?:is|being|for (?:this|that)|i do (?:this|that))",
    r"knowing (?:that|it|this|full well)", r"which is (?:fine|ok|okay|acceptable|a fair price) (?:for|because|since|as|here)",
    r"(?:is|are|be) (?:acceptable|tolerable|an acceptable|a fair)", r"(?:is|are) cheap to",
    r"(?:rather than|instead of) (?:\w+ ){0,10}(?:because|since|as)",
    r"(?:we|you|i) (?:give up|lose|sacrifice|pay|trade away) (?:\w+ ){0,6}(?:but|in exchange|for)", r"but in exchange", r"in return",
    r"the price (?:is|we pay|you pay)", r"what (?:we|you) (?:give up|lose|pay|trade) is",
    # the rejected alternative or the accepted cost, said after the design: "we could write straight into the
    # store, but then ...", "slightly stale dashboards are fine here because ..."
    r"(?:we|i|you) could (?:also |instead |alternatively )?(?:\w+ ){1,8}but (?:that|then)",
    r"(?:is|are|'s) (?:fine|ok|okay|good enough|acceptable|tolerable) (?:here )?(?:because|since|as long as|given)",
    # the cost named after the design, however far from the decision: "... the cost is that some customers retry at peak"
    r"the (?:main |big |real |only |obvious |one )?(?:cost|price|downside|catch|drawback|risk|trade)(?: here| of (?:that|this|it|doing (?:that|this|it)))? (?:is|being)",
    r"(?:that|this|it|which) costs? (?:us|you|me)", r"(?:is|are|'s) the (?:price|cost) (?:of|for|we pay|you pay)",
    # accepting a cost is itself a committed tradeoff: "we accept eventual consistency because ..."
    r"(?:i|we)(?:'d| would| can|'ll| will|'re| are)? (?:happily |willingly |knowingly |consciously |deliberately |just )?(?:accept|accepting|tolerate|tolerating|live with|living with) (?!(?:the |an? |all |any |incoming |new )?(?:requests?|connections?|payments?|uploads?|traffic|writes?|reads?|events?|messages?|jobs?|orders?|inputs?|files?|data|calls?|webhooks?|json|http\w*|cards?|bookings?|users?|clients?)\b)(?:\w+ ){0,4}(?:because|since|as long as|given|in exchange|for the sake of|to get|to keep)",
    r"(?:i|we)(?:'d| would| can|'ll| will|'re| are)? (?:happily |willingly |knowingly |consciously |deliberately |just )?(?:accept|accepting|tolerate|tolerating|live with|living with) (?:some |a |an |the |slightly |a bit of |a little |occasional |rare )?(?:\w+ )?(?:eventual consistency|consistency|staleness|stale|lag|latency|duplicates?|inconsistenc\w+|delay|downtime|risk|cost|overhead|complexity|hit|window|data loss|loss|drift|imprecision|approximation|errors?|retries|double)",
    r"(?:happy|willing|glad|content) to (?:pay|take|accept|eat|live with|swallow)", r"(?:it's|that's|it is|that is|is) (?:a|the) (?:\w+ )?(?:cost|price) (?:i'm|i am|we're|we are|worth)",
)
CONCLUSION = rx(
    r"in (?:short|summary|a nutshell|conclusion)", r"to (?:sum (?:it |this |that )?up|summari[sz]e|wrap (?:it |this )?up|recap)",
    r"(?:so |and )?overall,? (?:i'd|i would|i think (?:i'd|we should)|we|the design|the plan|that's|my|this|i'm)", r"bottom line", r"the short (?:version|answer)", r"long story short", r"the key (?:point|thing|takeaway|idea) (?:is|here)",
    r"so the (?:answer|design|plan|approach|recommendation|solution) (?:is|would be)", r"all in all", r"at the end of the day",
    r"that(?:'s| is) (?:my|the) (?:answer|design|recommendation|approach|plan)", r"that (?:gives|gets) (?:us|you) (?:a|an|the)",
    r"(?:so )?(?:that's|that is) (?:how|why) (?:i'd|i would|we'd|we would|i)", r"so (?:to|in) (?:recap|summary)",
    r"so my (?:answer|recommendation|pick|choice|default)", r"putting it (?:all )?together", r"so (?:i'd|i would|we'd) (?:go with|pick|choose|recommend|default)",
)

FAILURE_MODES = rx(
    r"retr(?:y(?! after)|ies|ied|ying)", r"idempoten\w+", r"dedupe\w*", r"de ?dup\w*", r"duplicat\w+", r"backpressure", r"back off", r"backoff", r"exponential backoff", r"jitter",
    r"dead letter", r"dlq", r"circuit breakers?", r"timeouts?", r"time out", r"times out", r"fail(?:s|ed|ure|ures|over|ing)?", r"goes down", r"went down", r"is down",
    r"crash\w*", r"outages?", r"unavailab\w+", r"unreachable", r"(?:falls?|fell|falling|gets?|got) behind", r"lag(?:ging)?", r"replay\w*",
    r"(?:at least|exactly|at most) once", r"what happens (?:if|when)", r"redundan\w+", r"replica\w* (?:takes? over|is promoted|for failover)", r"fallback", r"fall back", r"degrad\w+",
    r"rate limit\w*", r"throttl\w+", r"poison", r"malformed", r"partial (?:failure|write)s?", r"network partition", r"disaster recovery", r"backups?",
    r"(?:lost|lose|losing|drop|dropped|dropping) (?:data|messages|events|writes|requests)", r"bulkheads?", r"load shed\w*", r"shed load", r"overload\w*",
    r"race conditions?", r"split brain", r"recover\w*", r"(?:is|are|be|being|goes|went|was) down", r"(?:is|gets|get|got|be) lost", r"nothing (?:is |gets )?lost", r"without losing", r"resilien\w+", r"surviv\w+", r"goes wrong", r"corrupt\w*", r"stampede", r"thundering herd", r"hot ?spots?",
    r"if (?:it|that|the \w+|one|a \w+|one of the \w+) (?:breaks|dies|fails|crashes|hangs|is slow|goes away|is unreachable|restarts)", r"pil(?:e|es|ing) up", r"backs? up", r"backlog", r"offline", r"miss(?:es|ed|ing)? (?:\w+ )?(?:heartbeats?|deadlines?|messages?|acks?|pings?)", r"(?:stops?|stopped) (?:sending|responding|reporting)", r"unhealthy", r"at the same (?:moment|time|instant)", r"conflict\w*", r"contention", r"concurren\w+", r"conditional (?:update|write)s?", r"compare and (?:set|swap)", r"optimistic (?:locking|concurrency)", r"lost updates?", r"double (?:book\w*|reserv\w*|charg\w*|spend\w*|process\w*)", r"(?:dropped|flaky|lost|broken|bad) (?:connection|network|link)s?", r"connection (?:drops?|dropped|lost)", r"resum\w+", r"disconnect\w*", r"interrupt\w*", r"roll ?back", r"rollbacks?", r"stale", r"(?:dies|died|restarts?|restarted|reboots?)", r"out of order", r"checkpoint\w*", r"two phase commit", r"outbox",
)

OBSERVABILITY = rx(
    r"metrics?", r"monitor\w*", r"alert\w*", r"logs", r"logging", r"log (?:lines?|messages?|every|each|it|them|an?|the (?:error|request|failure|event))",
    r"structured logs?", r"traces", r"tracing", r"trace ids?", r"observab\w+", r"p ?(?:50|90|95|99|999)", r"percentiles?", r"error rates?", r"(?:consumer|queue|replication) lag",
    r"on ?call", r"pag(?:e|es|ed|ing) (?:someone|the|on|us|me|whoever)", r"slos?", r"slis?", r"health ?checks?", r"grafana", r"prometheus", r"datadog",
    r"open ?telemetry", r"splunk", r"new relic", r"cloudwatch", r"sentry", r"instrument\w*", r"visibility", r"(?:track|count|measure|graph|chart|watch|emit) (?:the )?(?:rate|latency|errors?|lag|throughput|counts?|failures|retries|queue depth|depth|saturation|success)",
    r"(?:latency|throughput|saturation|queue depth|success rate|ingest rate) (?:metrics?|graphs?|alerts?|dashboards?|histograms?|and)", r"histograms?", r"counter metrics?", r"runbooks?", r"health signals?", r"signals?", r"utili[sz]ation", r"(?:chart|graph|plot) (?:the )?\w+",
    r"(?:track|watch|measure|graph|chart|monitor) (?:the )?(?:\w+ ){0,2}(?:age|number|count|size|share|percentage|time|oldest|depth|backlog|ratio|rate|load|latency|lag|errors?|usage|throughput)",
    # database and runtime tools: "explain analyze", "pg_stat_statements", "the slow query log", a profiler
    r"explain (?:analy[sz]e|plans?)", r"(?:query|execution) plans?", r"pg stat \w+", r"slow (?:query )?logs?", r"performance schema",
    r"profil(?:er|ers|ing|ed)", r"profile (?:it|the (?:\w+ )?(?:query|queries|code|service|endpoint|app|request|handler))", r"flame ?graphs?", r"apm", r"top queries",
)

TRADEOFFS = re.compile(TRADEOFF_MARK.pattern + "|" + rx(r"it depends", r"depends on").pattern)
# Weak contrast words ("instead of", "versus", "it depends") weigh options only when a reason is given.
WEAK_TRADEOFF = rx(r"instead of", r"rather than", r"versus", r"compared to", r"as opposed to", r"it depends", r"depends on", r"beats",
                   r"(?:far |much |way )?(?:better|worse) than", r"(?:we|you) get",
                   r"(?:pick|picked|picking|choose|choosing|chose|prefer|preferring|preferred|go with|going with|went with|favou?r\w*) (?:\w+ ){0,4}over")

SECURITY = rx(
    r"auth\w*", r"oauth", r"jwt", r"mtls", r"tls", r"ssl", r"https", r"encrypt\w*", r"secrets?(?: manager)?", r"(?:api|access|signing|private|public) keys?",
    r"permissions?", r"access control", r"pre ?signed", r"signed urls?", r"rbac", r"acls?", r"audit\w*", r"certificates?", r"certs?", r"sign(?:ed|ing|atures?)", r"credentials?", r"least privilege",
    r"sanitiz\w+", r"injection", r"(?:bearer|access|session|auth) tokens?", r"identity", r"tenant isolation", r"who (?:can|is allowed)", r"vault", r"kms",
    r"(?:personal|sensitive) data", r"pii", r"gdpr", r"compliance", r"tamper\w*", r"hmac",
)

SCOPE = CONTEXT
OWNED = rx(
    r"i (?:owned|own|was responsible|am responsible|was the (?:owner|lead|only|main|one)|led|was leading|was in charge|built|designed|wrote|was on call|ran)",
    r"my (?:role|job|responsibility|part|piece|area|service|team) (?:was|is|there|here)", r"(?:i|we) (?:was|were) (?:responsible|in charge|tasked|asked|on call)",
)

CONSTRAINTS = rx(
    r"deadlines?", r"(?:time )?pressure", r"(?:in|within|only had|we had|i had|gave us|gave me|just|only) (?:\d+|a few|a couple of|two|a|one) (?:days?|weeks?|hours?|sprints?|months?)",
    r"by (?:friday|monday|tuesday|wednesday|thursday|the end of|end of|next week|launch|the launch|the release|black friday)", r"tight\w*", r"limited",
    r"only (?:had|have|two|\d+|a few|one|me)", r"budgets?", r"constraints?", r"(?:couldn't|could not|can't|cannot|not allowed to) (?:afford|take|have|touch|change|break|lose|stop)",
    r"without (?:any )?downtime", r"zero downtime", r"peak (?:load|traffic|season|hours)", r"black friday", r"slas?", r"complian\w+", r"regulat\w+", r"legacy",
    r"small team", r"(?:on my own|by myself|alone)", r"(?:live|ready|done|shipped|out|working) (?:for|by|before) (?:\w+ ){0,3}(?:monday|tuesday|wednesday|thursday|friday|saturday|sunday|launch|campaign|deadline|sale|release|demo|morning|tomorrow|tonight)", r"(?:\d+|a few|a couple of) (?:days|weeks|months) (?:before|until|to) (?:the |their |our )?(?:launch|release|go live|deadline|demo|audit|cutover)",
    r"before (?:the |their |our )?(?:launch|release|deadline|go live|demo|audit|cutover|holiday)", r"moved (?:\w+ ){0,3}(?:up|forward|earlier)", r"hard (?:constraint|requirement|limit|deadline)",
    r"had to be (?:live|done|ready|shipped|finished|in place)", r"(?:by|before) \d+ ?(?:am|pm)", r"urgent\w*", r"asap", r"critical", r"(?:revenue|money|customers|orders) (?:was|were|at stake|on the line)",
    r"(?:had|needed|have) to (?:keep|stay|maintain|ship|deliver|be done|finish|hit)", r"under (?:load|pressure)", r"freeze", r"scale",
    NUM + r" (?:\w+ )?(?:requests|orders|users|events|customers|transactions|messages) (?:a|per) (?:second|minute|day)",
)

DECISION = rx(
    r"(?:i|we) (?:\w+ )?(?:decided|chose|picked|went with|opted|proposed|pushed for|pushed back|recommended|settled on|suggested|argued for|made the call|made a call|made the decision|landed on|went for|committed to)",
    r"options?", r"alternatives?", r"(?:i|we) (?:considered|evaluated|compared|looked at (?:two|three|a few|both|several))", r"weigh\w*", r"the (?:choice|decision|call) (?:was|to)",
    r"instead of", r"rather than", r"either (?:\w+ ){1,10}or", r"(?:one|another|the other|first|second|1|2) (?:option|approach|idea|way|path|choice) (?:was|would|is)",
    r"pros and cons", r"trade ?offs?", r"(?:i|we) could (?:have )?(?:\w+ ){1,6}(?:or|but)", r"versus", r"(?:i|we) (?:went|go) (?:for|with)", r"changed (?:my|our|their|his|her) (?:minds?|position|view|opinion|stance|approach)", r"(?:i|we) adopted", r"(?:i|we) (?:switched|moved|migrated) (?:\w+ ){0,3}(?:to|from|over)", r"(?:i|we) (?:decided|determined|concluded)",
)

LEARNING = rx(
    r"(?:i|we) learn(?:ed|t)", r"lessons?", r"takeaways?", r"in hindsight", r"looking back", r"in retrospect", r"next time", r"(?:if i|if we) (?:did|had|were to do|could do) (?:it|that|this) (?:again|over)",
    r"(?:would|i'd|we'd) (?:do|have done) (?:\w+ )?differently", r"(?:would|i'd|we'd) have (?:\w+ ){0,3}(?:earlier|sooner|first|instead)", r"taught me", r"(?:now|since then) (?:i|we) (?:always|make sure|try|start|insist|push|write|add|check)",
    r"since then", r"i realized", r"i realised", r"changed (?:how|the way) (?:i|we)", r"(?:the|my|a) (?:big|main|key)? ?(?:takeaway|lesson) (?:was|is|for me)", r"what i (?:took away|would change|learned)",
    r"i (?:would|'d) (?:change|do) (?:\w+ ){0,3}(?:next|again)", r"going forward", r"from now on", r"i now", r"these days i", r"what i do (?:now|differently|since)", r"(?:afterwards|after that|since then)(?: i| we)? (?:added|introduced|set up|made|wrote|changed|started|put in)",
)

# Result: a quantity next to a change ("cut p99 by 40 percent", "from 9 hours to 40 minutes",
# "halved the pages"). A bare number needs a preposition that makes it a target ("down to 3");
# a count with a unit can follow the verb directly ("saved 20 hours a month").
# hedges before a figure, stacked as people say them: "something like", "maybe around", "a bit under"
_APPROX = (r"(?:(?:about|around|roughly|like|almost|nearly|just|only|over|under|below|less than|more than|maybe|approximately|close to|well over|well under"
           r"|something like|somewhere (?:around|near|between)|upwards of|north of|south of|a good|easily|a bit (?:over|under|more than|less than)|a little (?:over|under)) ){0,3}")
UNIT = (r"(?:percent|x|times|fold|ms|seconds?|minutes?|hours?|days?|weeks?|months?|dollars|k|gb|mb|tb|incidents?|pages?|alerts?|errors?|tickets?|"
        r"outages?|complaints?|timeouts?|failures?|bugs?|customers|users|orders|requests|servers?|nodes|instances|machines|points?|calls|retries|escalations|defects|cents)")
NONTIME_UNIT = r"(?:percent|percentage points|points|x|times|fold|dollars|k|gb|mb|tb|incidents?|pages?|alerts?|errors?|tickets?|outages?|complaints?|timeouts?|failures?|bugs?|servers?|nodes|instances|escalations|defects)"
QUANT_UNIT = r"(?:" + NUM + r"|one|a|half|a third|a quarter|two thirds|several|a few|a couple of)(?: \w+)? " + UNIT
CHANGE = (
    r"(?:reduc\w+|cut|cutting|dropp?\w*|fell|fall(?:en|ing)?|decreas\w+|lower\w*|shrank|shrunk|shrink\w*|improv\w+|increas\w+|grew|grow\w*|rais\w+|sav\w+|sped|speed\w*|boost\w*|"
    r"eliminat\w+|went|brought|bring\w*|halv\w+|doubl\w+|tripl\w+|jump\w*|climb\w*|rose|spik\w+|plummet\w*|slash\w*|trimm?\w*|freed|recovered|shaved|handl\w+|"
    r"fewer|faster|slower|cheaper|higher|lower)"
)
RESULT_NOUN = (r"(?:reduction|improvement|increase|decrease|drop|speedup|speed up|faster|fewer|less|cheaper|savings|saved|cut|gain|lower|higher|better|"
               r"reduced|improved|dropped|decreased|increased|down|up|off|quicker|shorter|smaller|more throughput)")
# what going wrong is called: "sev one", "a p1", "a page", "a failed deploy"
_BAD_EVENT = (r"(?:sev\w*|p ?[0-4]|p (?:zero|one|two)|incidents?|outages?|pages?|alerts?|escalations?|complaints?|failures?|bugs?|errors?|timeouts?|rollbacks?"
              r"|failed \w+|missed \w+|hiccups?|issues?|problems?|tickets?|crash\w*|downtime|data loss|duplicates?|double charges?|breach\w*|regressions?|fires?|wake ?ups?|call ?outs?)")
MEASURABLE = re.compile(
    r"(?<![a-z0-9'])(?:"
    r"from " + _APPROX + r"(?:" + NUM + r"|one|a|several|dozens?|hundreds?|a few|a couple)(?: \w+){0,6} (?:down |up |all the way down )?to " + _APPROX + r"(?:" + NUM + r"|zero|0|none|nothing|one|a|single digits?|basically nothing|almost nothing|near zero|a few|a couple)"
    + r"|" + CHANGE + r"(?: \w+){0,6} (?:by|to|under|below|than|from) " + _APPROX + r"(?:" + QUANT_UNIT + r"|" + NUM + r"|half|a third|zero|0|nothing|none)"
    + r"|" + CHANGE + r"(?: \w+){0,3} " + _APPROX + r"(?:" + NUM + r"|a|half|a few|several)(?: \w+)? " + NONTIME_UNIT
    + r"|(?:sav\w+|freed|shaved|cut|cutting|gave back|reclaimed)(?: \w+){0,3} " + _APPROX + r"(?:" + NUM + r"|a|half|a few|several)(?: \w+)? (?:hours?|days?|weeks?|minutes?|months?|ms|seconds?)"
    + r"|(?:" + QUANT_UNIT + r")(?: \w+){0,3} " + RESULT_NOUN
    + r"|(?:cut|dropped|reduced|brought|went|got|came|fell)(?: \w+){0,3} (?:down )?(?:to )?(?:zero|0|nothing|none|almost nothing|basically nothing|near zero)"
    + r"|(?:halved|doubled|tripled|quadrupled|in half|by half|twice as|three times as|order of magnitude|10 x|(?:zero|0) (?:\w+ )?(?:incidents|outages|pages|downtime|errors|complaints|data loss|timeouts|failures|tickets|bugs|duplicates|broken|customer|\w+s)|no (?:more|further) (?:incidents|outages|pages|timeouts|complaints|tickets)|(?:had|saw|got|have had|\'ve had|there were|there have been|with) no (?:\w+ ){0,3}(?:bugs|incidents|outages|pages|complaints|failures|tickets|duplicates|data loss|downtime|escalations) (?:since|after|in the|for|at all))"
    + r"|" + NUM + r" percent"
    + r"|now (?:\w+ ){0,2}(?:takes?|finish(?:es)?|runs?|completes?|loads?|sits?|averages?|is|are|in|it's|that's|we're|they're) (?:in |at |under |about |around |roughly |below |a bit under |just under |less than )*(?:" + NUM + r"|a|one|two) (?:\w+ )?(?:ms|seconds?|minutes?|hours?|percent|x)"
    + r"|(?:went away|disappeared|stopped|vanished) (?:completely|entirely|altogether|for good)"
    + r"|" + NUM + r" (?:\w+ ){0,3}(?:in a row|straight|consecutive)"
    + r"|(?:is|are|was|were|sits?|stays?|runs?|averages?) now (?:a |an |at |under |below |about |around |roughly |just )*" + NUM
    + r"|(?:sav\w+|cut|cutting|reduc\w+|lower\w*|freed|shaved|trimm?\w*)(?: \w+){0,4} " + _APPROX + NUM + r" (?:\w+ )?(?:a|per) (?:year|month|week|day|quarter)"
    + r"|(?:haven't|hasn't|hadn't|didn't|never|have not|has not|had not|did not) (?:had|have|seen|see|got|gotten|get) a single (?:\w+ ){0,2}(?:incident|outage|page|failure|bug|complaint|duplicate|error|timeout|ticket|escalation)"
    + r"|(?:" + NUM + r"|a|two|a few|several) (?:days?|weeks?|months?|hours?) (?:early|ahead of schedule|ahead of time|sooner|earlier than planned)"
    + r"|(?:was|were|is|are|got|went|came|brought it|dropped) back (?:down )?(?:under|to|at|below|within|near) " + _APPROX + r"(?:" + NUM + r"|a tenth|a fraction|a half|half|one|a|normal|baseline)"
    + r"|" + NUM + r" (?:ms|seconds|minutes|hours) (?:instead of|rather than|versus)|(?:a|1|" + NUM + r") (?:day|hour|minute|week)s? instead of (?:a|" + NUM + r") (?:day|hour|minute|week)s?"
    # a date kept and a quiet aftermath are measurable too: "we hit the date", "shipped on schedule",
    # "no incidents since the switch", "not a single page in the three months after"
    + r"|(?:hit|made|met|beat|kept|held) (?:the|our|that|this|every|each|its|their|a) (?:\w+ )?(?:date|dates|deadline|deadlines|target|sla|slo|launch date|release date|cutoff|cut off|go live)"
    + r"|(?:shipped|launched|delivered|released|went live|landed|finished|completed|migrated|cut over|rolled out|was live|were live|was done|were done)(?: \w+){0,4} (?:on time|on schedule|on the (?:planned |original )?(?:date|day)|before the (?:deadline|cutoff|cut off|freeze)|ahead of (?:schedule|time|the deadline)|by the deadline|in time for)"
    + r"|no (?:more |further |new |other )?(?:\w+ )?(?:incidents?|outages?|pages?|escalations|complaints|failures|bugs|duplicates|errors|rollbacks|data loss|downtime|double charges|tickets)(?: \w+){0,3} (?:since|ever since|after that|afterwards|in the (?:\w+ ){0,2}(?:months?|weeks?|years?|quarters?)|for (?:\w+ ){0,2}(?:months?|weeks?|years?|quarters?))"
    + r"|not (?:one|a single) (?:\w+ ){0,2}(?:incident|outage|page|escalation|complaint|failure|bug|duplicate|rollback) (?:since|after|in|over|during|across|through|for)"
    # "incident free for six months", "six months incident free"
    + r"|(?:incident|outage|page|pager|alert|error|bug|rollback|downtime|complaint|ticket|escalation)s? free(?: \w+){0,2} (?:for|since|in|over|across|through)"
    + r"|(?:" + NUM + r"|a|two|three|several|a few|a couple of) (?:\w+ )?(?:days?|weeks?|months?|quarters?|years?|releases?) (?:\w+ )?(?:incident|outage|page|alert|error|bug|rollback|downtime)s? free"
    # "we haven't had a sev one since", not "we haven't had many problems since"
    + r"|(?:haven't|hasn't|hadn't|have not|has not|had not|never) (?:had|have|seen|got|gotten|hit|needed) (?:a |an |one |any |a single )?(?!many\b|much\b|lots\b|too\b|as\b|that\b|so\b)(?:\w+ ){0,2}" + _BAD_EVENT + r"(?: \w+){0,2} (?:since|ever since|after that|afterwards)"
    # a count of what went right after the change: "the next ten releases went out with no rollbacks"
    + r"|(?:next|following|last) (?:" + NUM + r"|\w+) (?:\w+ )?(?:releases?|deploys?|deployments?|launches|migrations|cutovers|weeks?|months?|quarters?|sales|peaks?) (?:\w+ ){0,4}(?:without|with no|with zero|had no|had zero|saw no) (?:a single |any |one )?(?:\w+ ){0,2}" + _BAD_EVENT
    # time to recover: "the backlog cleared in about twenty minutes", "was back to normal within the hour"
    + r"|(?:cleared|drained|recovered|caught up|came back|was back|were back|back to normal|stabili[sz]ed|emptied) (?:\w+ ){0,2}(?:in|within|after|inside) " + _APPROX + r"(?:" + NUM + r"|a|an|one|two|a few|a couple of|the) (?:\w+ )?(?:ms|seconds?|minutes?|hours?|hour|days?)"
    # nothing went wrong for a stated period: "went the whole next quarter without a single sev one",
    # "didn't have a single outage for six months" (the period is what makes it measurable)
    + r"|(?:went|gone|go|ran|run|running|got through|made it|lasted|had|have had|'ve had|spent|saw) (?:\w+ ){0,5}(?:days?|weeks?|months?|quarters?|years?|sprints?|releases?|deploys?|launches|peaks?|seasons?) (?:straight |in a row )?(?:without|with no|with zero) (?:a single |one |any |even one |even a single )?(?:\w+ ){0,2}" + _BAD_EVENT
    + r"|(?:didn't|did not|haven't|have not|hasn't|has not|hadn't|had not|never|not) (?:\w+ )?(?:a single|one|any|even one|even a single) (?:\w+ ){0,2}" + _BAD_EVENT + r"(?: \w+){0,2} (?:for|in|over|during|across|through|since) (?:the |a |an |that |those )?(?:\w+ ){0,3}(?:days?|weeks?|months?|quarters?|years?|sprints?|releases?|launch|migration|change|switch|fix|rollout|cutover|then)"
    # "from two days to an afternoon"; "stays under 200 ms now"; "twelve teams use it now"
    + r"|from " + _APPROX + r"(?:" + NUM + r"|a|an|one|two|three|several|a few|a couple of) (?:\w+ )?(?:hours?|days?|weeks?|months?|minutes?)(?: \w+){0,3} (?:down )?to (?:a |an |one |under an? |less than an? |about an? |just an? )?(?:afternoon|morning|evening|night|hour|day|week|minute|few minutes|few hours|same day|overnight|seconds|minutes)"
    + r"|(?:is|are|sits?|stays?|stayed|held|holds?|runs?|ran|kept|keeps) (?:\w+ ){0,2}(?:under|below|within) " + _APPROX + NUM + r" (?:\w+ )?(?:ms|seconds?|minutes?|percent|errors?|pages?)(?: now| since| ever since| after that| from then on)"
    + r"|(?:now )?(?:used|adopted|relied on) by " + _APPROX + NUM + r" (?:\w+ )?(?:teams|services|customers|users|engineers|people|companies|clients)"
    + r"|" + NUM + r" (?:\w+ ){0,2}(?:teams|services|customers|users|engineers|people|companies|clients) (?:now )?(?:use|using|adopted|rely|depend|moved|migrated|switched|signed up|are on)"
    # "the deploy takes ten minutes now", "handled black friday without a single page", "from monthly to daily releases"
    + r"|(?:takes?|took|runs?|finish(?:es)?|completes?|loads?|builds?) (?:in )?" + _APPROX + r"(?:" + NUM + r"|a|one|two) (?:\w+ )?(?:ms|seconds?|minutes?|hours?|days?) (?:now|these days|since then|afterwards|after that|after the (?:fix|change|rewrite|migration))"
    + r"|(?:handled|survived|got through|made it through|ran through|came through) (?:\w+ ){0,4}(?:without|with no|with zero) (?:a single |any |one )?(?:\w+ )?(?:incidents?|outages?|pages?|hiccups?|downtime|errors?|issues|problems|failures|rollbacks?|complaints)"
    + r"|(?:half|a third|a quarter|a tenth|a fraction|twice|double|triple|three times|ten times) (?:of )?(?:what it (?:was|used to be)|what they (?:were|used to be)|the (?:old|previous|original|former|usual) \w+|as (?:much|many|long|fast|often|quick|slow) as (?:before|it was|they were))"
    # "recovered all 3000 orders", "nobody got paged again", "it's been running for eight months without a restart"
    + r"|(?:recovered|restored|rescued|reprocessed|backfilled|migrated|onboarded|closed|resolved|refunded|replayed) (?:\w+ ){0,2}(?:all |every |about |around |over |nearly |roughly )?(?:of )?(?:the )?" + NUM + r" (?:\w+ )?(?:orders|customers|users|records|rows|messages|events|jobs|payments|transactions|tickets|accounts|devices|services|tables|bugs|incidents|files|invoices)"
    + r"|(?:nobody|no one|not one of us) (?:\w+ )?(?:got|has been|was|were|has|had) (?:paged|woken up|called|pinged) (?:\w+ )?(?:again|since|after that|for it)"
    + r"|(?:running|up|stable|live|in production) (?:for )?(?:" + NUM + r"|a|two|three|several|a few|a couple of) (?:\w+ )?(?:months|weeks|years|quarters) (?:now )?(?:without|with no|with zero|and not a single|and no)"
    + r"|from (?:monthly|weekly|daily|quarterly|yearly|biweekly|once a (?:month|week|quarter|year)|every (?:\w+ )?(?:months?|weeks?|days?)) (?:\w+ )?(?:releases?|deploys?|deployments?|shipping )?to (?:weekly|daily|hourly|several times a (?:day|week)|multiple times a (?:day|week)|on demand|every (?:\w+ )?(?:days?|hours?|weeks?)|continuous\w*)"
    r")(?![a-z0-9'])"
)
QUALITATIVE_RESULT = rx(
    r"(?:it|that|this|things|everything|the fix|the change) (?:\w+ )?(?:worked|helped|improved|fixed|solved|paid off|went well|was a (?:big |huge )?(?:success|win|improvement))",
    r"(?:got|was|were|became|went) (?:a lot |much |way |so much )?(?:better|faster|more stable|more reliable|smoother|quieter|happier|calmer)",
    r"(?:customers|users|everyone|the team|my manager|the business|stakeholders|people) (?:were|was|are|is|seemed|felt) (?:\w+ )?(?:happy|pleased|satisfied|relieved|impressed)",
    r"(?:the )?(?:result|outcome|impact) (?:was|is)", r"as a result", r"(?:was|were|is) a (?:\w+ )?(?:outcome|result|success|win|improvement)",
    r"(?:we|i|they|everyone) (?:agreed|aligned|settled|signed off)", r"ended up", r"(?:we|i) (?:shipped|launched|delivered|fixed|resolved|solved|closed|released|finished)",
    r"resolved", r"successful\w*", r"(?:no|fewer|less|stopped) (?:\w+ )?(?:issues|problems|incidents|outages|complaints|pages)", r"stable", r"in the end",
)

BUZZWORDS: dict[str, re.Pattern[str]] = {
    "microservices": rx(r"microservices"), "kafka": rx(r"kafka"), "kubernetes": rx(r"kubernetes", r"kubernetis", r"cooper netties"),
    "redis": rx(r"redis"), "nosql": rx(r"nosql"), "blockchain": rx(r"blockchain", r"block chain"), "serverless": rx(r"serverless", r"lambdas?"),
    "event sourcing": rx(r"event sourc\w+"), "cqrs": rx(r"cqrs"), "graphql": rx(r"graphql", r"graph ql"), "docker": rx(r"docker", r"containers?"),
    "mongodb": rx(r"mongo"), "cassandra": rx(r"cassandra"), "elasticsearch": rx(r"elastic ?search"), "spark": rx(r"spark"),
    "machine learning": rx(r"machine learning", r"ai", r"ml"), "service mesh": rx(r"service mesh", r"istio"), "the cloud": rx(r"the cloud", r"cloud native"),
    "big data": rx(r"big data", r"hadoop"), "dynamodb": rx(r"dynamo"), "rabbitmq": rx(r"rabbit ?mq", r"rabbit"),
}
_BUZZ_GROUPS = {f"b{i}": name for i, name in enumerate(BUZZWORDS)}
BUZZ_ANY = re.compile("|".join(f"(?P<b{i}>{pat.pattern})" for i, pat in enumerate(BUZZWORDS.values())))
BUZZ_REASON = rx(
    r"because", r"since", r"so that", r"so (?:we|it|you|i|the|that|each|every|consumers|producers) (?:can|could|don't|won't|never|only|get|keep|stay|survive|avoid|lose|scale)",
    r"which (?:means|lets|gives|allows|keeps|makes|helps|handles|avoids|guarantees|buys|decouples|absorbs|buffers|scales|stores|supports)", r"that way", r"in order to",
    r"tradeoffs?", r"the (?:reason|point|benefit|downside|cost|catch)", r"rather than", r"instead of", r"as opposed to", r"gives (?:us|you)", r"lets (?:us|you)", r"allows? (?:us|you)",
    r"to (?:avoid|prevent|keep|make sure|guarantee|reduce|handle|absorb|decouple|buffer|protect|survive|smooth|isolate|support|replay|dedupe|bound|limit|cap|persist|retain|store|serve|cache|hold|track|partition|order|get)",
    r"(?:good|great|built|designed|ideal|suited|perfect) (?:for|at)", r"for (?:durability|ordering|replay|caching|dedup\w*|fast|low latency|lookups|the hot|hot|idempotency|rate limiting|counters|sessions|buffering|fan out|retention|history|analytics|search|the \w+ (?:state|lookups|counts))",
    r"helps? (?:with|us)", r"handles?", r"if (?:a|the|one|we)", r"when (?:a|the|one|we)", r"durab\w+", r"replay\w*", r"partition\w*", r"ttl", r"expir\w+", r"ordering",
)

VAGUE = rx(
    r"scalab\w+", r"scale well", r"robust", r"efficient(?:ly)?", r"best practices?", r"industry standard", r"high quality", r"good (?:design|practice|performance|code|architecture)",
    r"make (?:it|sure it's|sure it is|things|everything) (?:fast|scalable|reliable|better|work|robust|efficient|secure|good|clean)", r"stuff", r"things", r"and so on", r"etcetera", r"etc",
    r"whatever", r"something like that", r"generally", r"in general", r"basically", r"various", r"a lot of (?:things|stuff|ways|options)", r"optimi[sz]e (?:it|everything|things)",
    r"handle (?:it|that|everything|errors?|things) (?:properly|correctly|well|gracefully|nicely)", r"as needed", r"depending on (?:the situation|things|stuff)", r"(?:the )?right (?:tools?|way|thing|approach)",
    r"modern", r"cutting edge", r"state of the art", r"seamless\w*", r"leverage", r"synerg\w+", r"(?:super |really |very )?(?:fast|reliable|secure|performant|clean)",
    r"(?:work|worked|working) (?:hard|together|closely)", r"works? well under pressure", r"(?:i|we) (?:always )?prioriti[sz]e", r"what matters (?:most|the most)",
    r"communicat\w+", r"in my experience", r"be flexible", r"agile", r"(?:keep|make|write) (?:my|the|our) code (?:modular|clean|simple|readable)", r"stakeholders",r"(?:super|really|very|extremely|so) important", r"one of the most important", r"(?:good|proper|great|solid) (?:observability|monitoring|testing|design|practices|coverage|visibility)",
    r"(?:if|when) something goes wrong", r"what(?:'s| is) going on", r"depending on what", r"kind of thing", r"(?:pretty|very|fairly) standard", r"(?:always )?deliver(?:ed)? on time", r"team player", r"passionate", r"extra mile", r"hard ?working", r"detail oriented", r"take (?:full )?ownership", r"(?:improve|improved|fix|fixed) (?:it|things|stuff|the (?:system|issue|problem))",
)

I_ACTION = rx(r"i(?:'ve|'d|'ll)?(?! (?:think|guess|mean|believe|remember|don't know|don't remember|feel|suppose|'m not sure|am not sure))")
WE_ACTION = rx(r"we(?:'ve|'d|'ll|'re)?", r"(?:the|our|my|whole) team", r"us")


@dataclass
class Hit:
    element: str
    pos: int
    frac: float
    time: float | None
    text: str


@dataclass
class StructureReport:
    present: dict[str, bool]
    hits: dict[str, Hit | None]
    assumptions_late: bool = False
    measurable_result: bool = False
    qualitative_result: bool = False
    buzzwords: list[str] = field(default_factory=list)
    buzzwords_unreasoned: list[str] = field(default_factory=list)
    buzz_hit: Hit | None = None
    i_count: int = 0
    we_count: int = 0
    vague: bool = False
    vague_count: int = 0
    vague_examples: list[str] = field(default_factory=list)
    concrete_count: int = 0


_CLAUSE_STARTERS = {"i", "i'm", "i'd", "i'll", "i've", "we", "we're", "we'd", "we'll", "my", "our", "let's", "so", "then"}


def _negated(doc: Doc, pos: int) -> bool:
    """True when a negation closely precedes the token at `pos` (and is not inside a condition).

    A match that opens its own clause with a subject ("I was the lead", "I'd keep ...") is never
    negated by a word before it: English puts the negation after the subject, so a negator before
    it belongs to the previous clause (whisper often drops the full stop in between).
    """
    i = doc.token_at(pos)
    if doc.tokens[i] in _CLAUSE_STARTERS:
        return False
    sent = doc.sentence_of[i] if doc.sentence_of else 0
    for back in range(1, 9):
        j = i - back
        if j < 0 or (doc.sentence_of and doc.sentence_of[j] != sent):
            break
        t = doc.tokens[j]
        if t in ("but", "and", "because", "so", "though", "although", "since") or j in doc.comma_after:
            break  # a new clause: the negation before it does not reach this far
        if (t in NEGATORS_NEAR and back <= 2) or (t in NEGATORS_FAR and (back <= 5 or (back <= 8 and " or " in f" {doc.span_text(j, i)} "))):
            if t in ("not", "no") and j + 1 < len(doc.tokens) and doc.tokens[j + 1] in ("only", "just", "too", "even"):
                continue
            cond = doc.tokens[max(0, j - 3):j]
            if any(c in CONDITIONALS for c in cond) or " ".join(cond).endswith("so that"):
                continue  # "if the consumer doesn't ack, we retry"
            return True
    return False


def _hits(doc: Doc, pattern: re.Pattern[str], element: str, *, negatable: bool = True) -> list[Hit]:
    out: list[Hit] = []
    for m in pattern.finditer(doc.text):
        if negatable and _negated(doc, m.start()):
            continue
        out.append(Hit(element, m.start(), doc.frac(m.start()), doc.time_at(m.start()), m.group(0)))
    return out


def _near(doc: Doc, pos: int, pattern: re.Pattern[str], before: int, after: int, *, same_sentence: bool = False) -> bool:
    lo, hi = doc.window(pos, before, after, same_sentence=same_sentence)
    return bool(pattern.search(doc.span_text(lo, hi)))


def _first(hits: list[Hit]) -> Hit | None:
    return min(hits, key=lambda h: h.pos) if hits else None


def _storage_hits(doc: Doc) -> list[Hit]:
    return [h for h in _hits(doc, STORE_MENTION, "storage")
            if _near(doc, h.pos, REASON, 12, 20) or _near(doc, h.pos, STORE_DETAIL, 15, 15)]


# "the complexity I'll think about later", "obviously I'd write tests": a check put off or promised
# in passing is not a check made.
_DEFERRED = rx(r"(?<!seconds )(?<!second )(?<!minutes )(?<!minute )(?<!hours )(?<!hour )(?<!days )(?<!day )(?<!ms )(?<!much )(?<!weeks )later", r"afterwards?", r"at some point", r"eventually", r"(?:come|get) back to", r"would come", r"down the (?:road|line)",
               r"if (?:i|we) (?:have|get|had) (?:the )?time", r"(?:think|worry|care) about", r"figure (?:out|that)", r"work (?:it |that )?out",
               r"not (?:sure|certain)", r"no idea", r"(?:don't|do not) know")
_PROMISE = rx(r"obviously", r"of course", r"naturally", r"(?:would|'d|will|'ll|should|could) (?:also |probably |definitely )?(?:write|add|have|do|need|want) (?:some |a few |the |a |proper |good |unit |more )*(?:unit )?tests?",
              r"(?:would|'d|will|'ll|should) (?:also |probably )?(?:test|verify) (?:it|this|that|everything|the (?:code|solution|function))(?: (?:properly|thoroughly|well|carefully))?$")
# Saying "complexity" or "tests" is not giving one: a complexity needs its value, a test its case.
_GENERIC_COMPLEXITY = rx(r"(?:(?:time|space|memory|runtime|run time|big o|big oh|overall|total|worst case|average case|amortized) )?complexity", r"big (?:o|oh)",
                         r"(?:time|space) (?:cost|usage|bound)")
_GENERIC_TEST = rx(r"(?:i'd|i would|i will|i'll|let me|let's|we'd|we should|i can) (?:also )?(?:check|test|try|verify|run|validate) (?:a|an|it|this|that|with|on|against|what|whether|some|two|one)",
                   r"(?:should|must|would) (?:return|give|output|fail|raise|throw|be rejected|come back|produce|print)", r"tests?", r"testing", r"tested", r"unit tests?", r"verif\w+", r"assert\w*", r"sanity check",
                   r"to (?:check|verify|confirm|prove|validate) (?:it|this|that|the (?:solution|code|function|fix))",
                   r"(?:make sure|check) (?:it|that it) (?:works|handles|returns)",
                   r"(?:checking|walking (?:through|thru)|stepping through|tracing|running through|going through|testing|trying) (?:it|this|that|the (?:code|function|solution))",
                   r"(?:if|when) (?:i|we|you) (?:run|try|feed|plug|call|test|give|pass|check|trace) (?:\w+ ){0,2}(?:on|with|in|into|against|through)",
                   r"plug(?:ging)? (?:in|it)", r"feed(?:ing)? (?:it|in)", r"(?:on|with|for) (?:the )?input", r"(?:by|on) hand")
_TEST_CASE = rx(NUM, r"empty", r"single", r"one (?:element|item|value|character|node|event|interval)", r"duplicates?", r"negative", r"zero", r"null", r"none",
                r"edge", r"corner", r"boundary", r"examples?", r"sample", r"should (?:return|give|be|fail|output|come)", r"returns?", r"gives?", r"expect\w*",
                r"fails?", r"passes", r"overflow", r"cases?", r"large", r"huge", r"burst", r"twice", r"same", r"ties?", r"cycles?", r"says (?:yes|no|true|false)",
                r"true", r"false", r"(?:one|two|three|four|five|ten) (?:\w+ )?(?:elements?|items?|brackets?|numbers?|values?|characters?|nodes?|events?|windows?|intervals?)",
                r"exactly", r"limits?", r"max\w*", r"min\w*", r"longest", r"shortest", r"smallest", r"biggest", r"largest", r"unsorted", r"sorted", r"reversed?",
                r"invalid", r"malformed", r"missing", r"unknown", r"out of order", r"concurrent\w*", r"at the same (?:time|moment|millisecond)", r"only", r"every",
                r"random\w*", r"stress", r"fuzz\w*", r"property", r"brute force", r"compar\w* (?:\w+ ){0,3}(?:against|with|to)", r"known (?:answer|output|result)",
                r"boundar(?:y|ies)", r"inputs?", r"values?", r"replay\w*", r"real (?:data|traffic|logs?)", r"production (?:data|traffic|logs?)", r"shadow\w*",
                r"off by one", r"wrap\w* around", r"timeouts?", r"crash\w*", r"restart\w*", r"retr(?:y|ies)", r"out of memory", r"unicode", r"whitespace", r"capital\w*",
                r"by hand", r"dropped", r"skipped", r"rejected", r"ignored", r"(?:goes|comes|gets|went|came) (?:out|through|back)", r"(?:get|gets|got) (?:\w+ ){1,3}(?:out|back)",
                r"all (?:the )?same", r"paren\w*", r"brackets?", r"letters?", r"strings? like", r"(?:a|an) (?:\w+ ){0,2}(?:array|list|string|stream|input|graph|tree) (?:of|with|like)")
_TEST_CLAUSE = rx(r"where", r"when", r"in which", r"if", r"whether", r"what happens", r"that (?:\w+ )?(?:has|have|contains?|sends?|arrives?|comes?)")
_COMPLEXITY_VALUE = rx(r"(?:o|oh) of", r"linear(?:ly)?", r"quadratic", r"logarithmic", r"exponential", r"(?:n|and|in|end|k|m|e|v) log (?:n|and|in|k|end|m|e|v)",
                       r"log (?:n|k|v|e|m)", r"(?:n|and|end) squared", r"constant", r"cubic", r"proportional", r"(?:v|e|n|m|k) (?:plus|times) (?:v|e|n|m|k)", r"amortized",
                       r"(?:\w+ )?times (?:\w+ )?(?:coins|items|elements|nodes|edges|length|size|amount|k|n|m)")


def _checked(doc: Doc, h: Hit, *, complexity: bool) -> bool:
    """A complexity or test mention that is a real check: concrete, and not put off or promised."""
    lo, hi = doc.window(h.pos, 6, 12)
    around = doc.span_text(lo, hi)
    if _DEFERRED.search(around):
        return False
    if complexity:
        return not _GENERIC_COMPLEXITY.fullmatch(h.text) or _after(doc, h, _COMPLEXITY_VALUE, 15)
    if not _GENERIC_TEST.fullmatch(h.text):
        return True  # already names a case ("edge cases", "an empty list", "send it twice")
    slo, shi = doc.window(h.pos, 8, 25)
    if _PROMISE.search(doc.span_text(slo, min(len(doc.tokens), doc.token_at(h.pos) + 3))) and not _after(doc, h, _TEST_CASE, 20):
        return False
    if _after(doc, h, _TEST_CLAUSE, 5):
        return True  # "a test where two requests arrive together", "check what happens if ..."
    return _after(doc, h, _TEST_CASE, 22) or bool(_TEST_CASE.search(doc.span_text(slo, doc.token_at(h.pos))))


_AGENT = {"i", "we", "i've", "we've", "i'd", "finally", "eventually", "ultimately"}


_AGENT_CHANGE = re.compile(r"(?<![a-z0-9'])(?:i|we|i've|we've|finally|eventually|ultimately) (?:\w+ )?" + CHANGE + r"(?![a-z0-9'])")


def _result_first(doc: Doc, h: Hit) -> bool:
    """A story told result first: "I cut our build time in half, and here's how." The speaker is the agent of the change."""
    lo, _ = doc.window(h.pos, 6, 0)
    i = doc.token_at(h.pos)
    return bool(_AGENT_CHANGE.search(doc.span_text(lo, i + 1)))


def _result_hits(doc: Doc) -> list[Hit]:
    out = []
    for h in _hits(doc, MEASURABLE, "result"):
        # "5 engineers", "2 weeks" alone are context, not results; MEASURABLE already needs a change word
        # or a from/to; also skip years ("in 2021") and ordinals-in-context.
        if re.fullmatch(r"(?:19|20)\d\d", h.text.strip()):
            continue
        if h.frac < RESULT_FROM and doc.n_words >= 40 and not _result_first(doc, h):
            continue  # numbers in the opening set the scene; results come after the action
        i = doc.token_at(h.pos)
        if any(t in ("always", "usually", "generally", "typically", "normally") for t in doc.tokens[max(0, i - 3):i]):
            continue  # "I always delivered on time" is a trait, not this story's result
        out.append(h)
    return out


def _after(doc: Doc, h: Hit, pattern: re.Pattern[str], n_tokens: int) -> bool:
    """`pattern` occurs in the `n_tokens` tokens after the hit (the hit's own words excluded)."""
    end = h.pos + len(h.text)
    i = doc.token_at(end) if end < len(doc.text) else len(doc.tokens)
    if i < len(doc.tokens) and doc.starts[i] < end:
        i += 1
    return bool(pattern.search(doc.span_text(i, min(len(doc.tokens), i + n_tokens))))


# Weighing without choosing: "we'd have to weigh cost against flexibility", "we'd need to look at the numbers".
_DELIBERATING = rx(r"(?:have|need|want|like) to (?:\w+ )?(?:weigh|consider|think|look|decide|evaluate|compare|check|see|ask|know|figure|understand|discuss|measure)",
                   r"(?:weigh|consider|think about|look at|decide|evaluate|compare|depend)\w*")
_REASON_OR_TRADEOFF = re.compile(REASON.pattern + "|" + TRADEOFF_MARK.pattern)


# "my pick would be X, since ..." commits up front: the answer-first shape lands wherever it is said.
_STRONG_NOUN = rx(r"my (?:default|choice|pick|recommendation|preference|answer|call|vote)", r"(?:the|my) (?:answer|choice|recommendation|decision) (?:is|would be|here)",
                  r"the (?:\w+ )?(?:call|choice|pick|decision|answer|winner|verdict|way to go|recommendation) (?:here |then |for (?:\w+ ){1,3})?(?:is|would be|'s)")
_NO_SIDE = rx(r"(?:it )?depends", r"both", r"neither", r"not (?:sure|clear)", r"hard to say", r"there (?:is|isn't|'s) no")
_SIGN_OFF = rx(r"that(?:'s| is) (?:my|the) (?:answer|design|recommendation|approach|plan)", r"that (?:gives|gets) (?:us|you) (?:a|an|the)",
               r"(?:so )?(?:that's|that is) (?:how|why) (?:i'd|i would|we'd|we would|i)")
_UNCOMMITTED_LANDING = rx(r"(?:the |my |our )?(?:main |big |biggest |key |real |obvious )?trade ?offs? (?:is|here|being|i'd|i would|we'd|we make|i make|i'm making|worth)",
                          r"the (?:main |big |real |only |obvious |one )?(?:cost|price|downside|catch|drawback|risk|trade)",
                          r"(?:that|this|it|which) costs? (?:us|you|me)", r"(?:is|are|'s) the (?:price|cost) (?:of|for|we pay|you pay)",
                          r"the reason (?:is|being|for (?:this|that)|i do (?:this|that))")
_FIRST_PERSON_TRADE = rx(r"(?:i'm|i am|we're|we are|i'd|we'd|i|we) (?:\w+ )?(?:trading|giving up|accepting|sacrificing|choosing)",
                         r"(?:i|we) (?:happily |knowingly |deliberately |just )?(?:accept|trade|sacrifice|give up|tolerate|live with) (?!(?:the |an? |all |any |incoming |new )?(?:requests?|connections?|payments?|uploads?|traffic|writes?|reads?|events?|messages?|jobs?|orders?|inputs?|files?|data|calls?|webhooks?|json|http\w*|cards?|bookings?|users?|clients?)\b)",
                         r"(?:i'd|i would|we'd|we would|i'll|we'll) (?:happily )?(?:trade|give up|accept|sacrifice|pay)")


# Comparing on a dimension weighs two options too ("rather than a queue, which is slower to set up").
_WEIGHING = rx(r"slower", r"faster", r"cheaper", r"simpler", r"safer", r"easier", r"harder", r"costlier", r"heavier", r"lighter", r"stronger", r"weaker",
               r"more (?:expensive|complex|work|latency|storage|memory|reliable|consistent|available|flexible|durable|scalable)",
               r"less (?:expensive|complex|work|latency|storage|memory|reliable|consistent|available|flexible|durable|scalable)", r"fewer", r"overhead", r"costs?",
               r"when (?!a |an |the |it |we )\w+", r"whenever", r"if (?:you|we) (?:need|want|care|have)",
               r"(?:don't|do not|doesn't|does not) (?:really )?need (?:\w+ )?(?:yet|now|here|at this (?:size|scale))")


def _reason_beside(doc: Doc, h: Hit) -> bool:
    """A reason within 12 tokens either side, the hit's own words left out."""
    lo, hi = doc.window(h.pos, 12, 12, same_sentence=False)
    i = doc.token_at(h.pos)
    j = doc.token_at(h.pos + len(h.text) - 1) + 1
    return any(p.search(doc.span_text(lo, i)) or p.search(doc.span_text(j, hi)) for p in (REASON, _WEIGHING))


def _weighed_after(doc: Doc, h: Hit) -> bool:
    """A strong tradeoff right after a committed choice: "I'm choosing X over Y. It's a bit more logic, but ..."."""
    lo, hi = doc.window(h.pos, 0, 30, same_sentence=False)
    return any(not WEAK_TRADEOFF.fullmatch(m.group(0)) for m in TRADEOFF_MARK.finditer(doc.span_text(lo, hi)))


_IMPERATIVE_CHOICE = rx(r"(?:just )?(?:go with|go for|use|pick|choose|prefer|stick with|reach for|default to)(?= (?!it\b|that\b|this\b|them\b)\w+)")


def _decision_hits(doc: Doc, late_from: float) -> list[Hit]:
    """A proposal/decision with a reason or tradeoff nearby; or a reasoned wrap-up late in the answer.

    A tradeoff weighed on its own ("each has pros and cons, it depends what we optimise") lands
    nothing; it lands the answer only when the speaker also commits to a choice somewhere, even
    several sentences away ("I'd precompute feeds ... we pay extra storage, but reads stay fast").
    """
    out: list[Hit] = []
    proposals = _hits(doc, DECISION_PROPOSAL, "outcome")
    # an imperative opening its sentence recommends too: "Here, go with optimistic locking."
    proposals += [h for h in _hits(doc, _IMPERATIVE_CHOICE, "outcome") if _sentence_initial(doc, h.pos)]
    strong = _hits(doc, STRONG_DECISION, "outcome")
    committed = any(not _after(doc, h, _DELIBERATING, 4) and not _DELIBERATING.search(h.text) for h in proposals + strong)
    for h in proposals:
        if _near(doc, h.pos, TRADEOFF_MARK, 25, 30):
            out.append(h)
    for h in strong:
        if (h.frac >= late_from or _STRONG_NOUN.match(h.text)) and (_near(doc, h.pos, REASON, 10, 25) or _weighed_after(doc, h)) \
                and not _after(doc, h, _NO_SIDE, 4):
            out.append(h)
    weighed = any(not WEAK_TRADEOFF.fullmatch(m.group(0)) for m in TRADEOFF_MARK.finditer(doc.text))
    for h in _hits(doc, CONCLUSION, "outcome"):
        # a sign-off ("and that's my design") after a plain list of parts lands nothing; a summary
        # lands when what follows it commits or gives a reason ("in summary ..., and I'd hold off on X until ...")
        if h.frac >= 0.4 and (_after(doc, h, _REASON_OR_TRADEOFF, 30) or (committed and weighed)
                              or (not _SIGN_OFF.match(h.text) and _after(doc, h, FIRST_PERSON_CHOICE, 30))):
            out.append(h)
    # weighing the main tradeoff near the end lands the answer too ("the main tradeoff is ..., worth it here");
    # "the tradeoff is ..." on its own names a tradeoff without taking a side, so it needs a commitment
    committed = committed or bool(_FIRST_PERSON_TRADE.search(doc.text))
    for h in _hits(doc, TRADEOFF_LANDING, "outcome"):
        if h.frac >= 0.5 and (committed or not _UNCOMMITTED_LANDING.match(h.text)):
            out.append(h)
    return out


FIRST_PERSON_CHOICE = rx(r"(?:i|we)(?:'d| would| will|'ll| should)", r"i (?:think|pick|go|use|prefer|default|lean|choose|recommend|don't|wouldn't)", r"my (?:answer|pick|choice|default)")
FRAMING = rx(
    r"if (?:the|our|we|we're|it|its|it's|there|there's|this|that|you|you're|they|all|most|each) (?:\w+ ){0,5}(?:is|are|'s|'re|has|have|were|was|need|needs|only|fits?|can|can't|must)",
    r"(?:think of|picture|imagine|consider|take) (?:a|an|the|two|some)",
    r"say (?:most|all|each|every|half|the|we|there|it|they|a|an|about|roughly|around|maybe|\d)",
    r"think (?:of |about )?(?:a|an|the|some|\w+ing|\w+ \w+ (?:going|coming|sent|stored))", r"in (?:our|this|the|that) (?:context|case|setting|scenario|situation)", r"(?:in|for) (?:a|the) (?:\w+ ){0,2}(?:case|scenario|setting|context) (?:where|like|of)",
)
_SENT_LEAD = {"ok", "so", "um", "uh", "and", "right", "alright", "well", "now", "hmm", "okay", "but", "first", "let's", "say"}


_SYSTEM_NAMED = rx(r"(?:our|my|their|his|her|the \w+|an? \w+) (?:\w+ ){0,2}(?:service|system|platform|pipeline|api|library|app|application|database|monolith|cluster|codebase|scheduler|backend|frontend|product|integration|test suite|suite|repo|sdk|gateway|queue|warehouse)s?",
                   r"outages?", r"incidents?", r"launch", r"deadline", r"release", r"demo", r"migration", r"customers?", r"revenue", r"production|prod")


def _person_opener_with_scene(doc: Doc, h: Hit) -> bool:
    return _near(doc, h.pos, STORY_SCENE, 25, 14) or _near(doc, h.pos, _SYSTEM_NAMED, 25, 14)


def _sentence_initial(doc: Doc, pos: int) -> bool:
    """The token at `pos` opens its sentence (after fillers like "so", "okay")."""
    i = doc.token_at(pos)
    s = doc.sentence_of[i] if doc.sentence_of else 0
    j = i - 1
    while j >= 0 and doc.sentence_of[j] == s and doc.tokens[j] in _SENT_LEAD:
        j -= 1
    return j < 0 or doc.sentence_of[j] != s or j in doc.comma_after


_AUX = {"is", "are", "can", "could", "does", "do", "will", "would", "should", "did", "was", "were", "may", "might", "have", "has"}
_SUBJ = {"the", "we", "it", "they", "there", "each", "all", "these", "this", "those", "our", "my", "i", "you", "any", "every", "a", "an", "events", "ids", "inputs", "values"}
_WH = {"what", "how", "which", "who", "when", "where", "whats", "what's", "roughly"}
_LEAD = {"ok", "so", "um", "uh", "and", "right", "alright", "well", "now", "first", "hmm", "okay", "just", "also", "then", "but"}


_PROPOSAL_Q = rx(r"maybe", r"i guess", r"i think", r"(?:should|could|can) (?:i|we) (?:use|do|try|just)", r"would (?:that|this|it) work",
                 r"something like", r"or something", r"i'm not (?:totally |really |entirely )?sure")


_RATE_RX = re.compile(r"\b(?:per|a|an|every|each) (?:second|minute|hour|day|week|month)\b|\b(?:qps|rps|tps|once|twice)\b|estimat|envelope|ballpark|magnitude|rough")
_SIZE_ONLY_RX = re.compile(r"\b(?:kb|mb|gb|tb|pb|kilobytes?|megabytes?|gigabytes?|terabytes?|petabytes?|bytes)\b")


def _is_load_estimate(text: str) -> bool:
    """A scale mention that is an assumption about load: a rate, or a sizeable count of things.

    "2 threads", "5 megabyte chunks" are design details, not assumptions about the load.
    """
    if _RATE_RX.search(text):
        return True
    if _SIZE_ONLY_RX.search(text):
        return False
    m = re.search(r"\d[\d.]*", text)
    if m is None:
        return True  # "thousands of devices", "a few hundred"
    try:
        return float(m.group(0).rstrip(".")) >= 50
    except ValueError:
        return False


_RHETORICAL_Q = rx(r"^(?:so )?(?:what(?:'s| is| are) (?:a |an |the )?\w+(?: \w+)?$)", r"why (?:does|do|is|would) (?:this|that|it) (?:matter|happen|work)",
                   r"(?:does|do) (?:that|this) (?:make sense|matter|work)", r"what does (?:that|this|it) mean", r"how does (?:that|this|it) work",
                   r"(?:is|was) (?:that|this) (?:a problem|bad|good|enough)")
_SCENARIO_Q = rx(r"we", r"you", r"our", r"us", r"i", r"how (?:many|much|big|large|often|fast|long|frequently|stale|fresh)",
                 r"expected", r"peak", r"load", r"traffic", r"size", r"volume", r"scale", r"input", r"range", r"latency", r"budget", r"sla",
                 r"requirements?", r"constraints?", r"allowed", r"okay", r"ok", r"fine", r"counts? as", r"look like", r"or",
                 r"(?:callers?|clients?|users?|customers?|devices?|vehicles?|data|workload|requests?|operators?|teams?|jobs?|events?)")


_PER_STEP = rx(r"for (?:each|every)", r"at (?:each|every) (?:step|point|index|position|node|element)", r"each time", r"every time", r"if so", r"if not")


def _early_questions(doc: Doc) -> list[Hit]:
    """A question put to the interviewer early on (clarifying before solving) is an assumption move.

    Either whisper wrote a "?" or the sentence opens like a question ("are the sizes fixed ...",
    "what's the read to write ratio ..."). Rhetorical "right?" tags are too short to count.
    """
    out: list[Hit] = []
    for lo, hi in doc.sentences():
        k = lo
        while k < hi and doc.tokens[k] in _LEAD:
            k += 1
        if hi - k < 4:
            continue
        pos = doc.starts[k]
        if doc.frac(pos) > EARLY_FRAC:
            break
        first, second = doc.tokens[k], doc.tokens[k + 1]
        sentence = doc.span_text(k, hi)
        asked = doc.sentence_of[lo] in doc.questions and not _PROPOSAL_Q.search(sentence)
        # "should I use a heap here?" proposes a solution; it asks nothing about the problem
        inverted = first in _AUX and second in _SUBJ and not _PROPOSAL_Q.search(sentence) \
            and not re.match(r"(?:should|could|can|shall) (?:i|we) (?:use|try|do|go|just|pick|add|put|make|store|keep)\b", sentence)
        if _RHETORICAL_Q.search(sentence):
            continue  # "what is idempotency?", "why does this matter?": the speaker answers it at once
        if first in _WH and not _SCENARIO_Q.search(sentence):
            continue
        if (asked or inverted) and (_SOLUTION_STEP.search(sentence) or _PER_STEP.search(sentence)) and not _PROBLEM_CUE.search(sentence):
            continue  # "for each number, is the heap bigger than k? if so, pop": the algorithm asking itself
        if asked or inverted:
            out.append(Hit("assumptions", pos, doc.frac(pos), doc.time_at(pos), doc.span_text(k, min(hi, k + 6))))
    return out


# Questions about the interview itself, not the problem: the language, drawing, thinking aloud,
# small talk about the interviewer's team. They clarify nothing about inputs, scale or scope.
_META_Q = rx(
    r"python", r"java(?:script)?", r"c plus plus", r"c sharp", r"golang", r"rust", r"typescript", r"ruby", r"kotlin", r"swift",
    r"(?:programming )?languages?", r"pseudo ?code", r"whiteboard", r"sketch\w*", r"draw\w*", r"diagram", r"think (?:out loud|aloud)",
    r"talk (?:it )?through (?:it|this) as i go", r"(?:take|have|grab) a (?:minute|moment|second|sec)", r"have you", r"did you", r"your team",
    r"you guys", r"(?:you|you've) (?:ever )?(?:seen|run into|come across|dealt with|had)", r"comes? up", r"make sense", r"sound (?:good|ok|right|fine)",
    r"code (?:it|this|that) up", r"(?:start|begin) (?:coding|writing)", r"write (?:the |some |real )?code", r"ide", r"editor", r"google", r"look (?:it|that|something) up",
    r"do you mind", r"(?:is|would) (?:it|that) (?:be )?(?:ok|okay|fine|alright|all right) (?:if i|to) (?:\w+ ){0,3}(?:sketch|draw|think|talk|write|code|use|start|take)",
    # the interview's own clock and process: "how much time do we have?", "should I start with the brute force?"
    r"how (?:much|long) time", r"(?:time|minutes) (?:do|have) (?:we|i) (?:have|got)", r"how long (?:do|have) (?:we|i) (?:have|got)",
    r"(?:can|could|may) i ask (?:you )?(?:a|one|something|a quick|a couple)", r"(?:want|like) me to (?:\w+ ){0,2}(?:code|write|start|implement|optimi[sz]e|walk|talk|explain|draw|go|begin|focus)",
    r"(?:start|begin|go) (?:with|from) (?:the |a )?(?:brute force|naive|simple|optimal|easy)", r"talk (?:it |this )?through",
)
# ... unless the same question also pins something down.
_PROBLEM_CUE = rx(
    NUM, r"inputs?", r"outputs?", r"sorted", r"duplicates?", r"unique", r"negative", r"empty", r"null", r"size", r"memory", r"fits?",
    r"scale", r"load", r"traffic", r"users", r"requests", r"latency", r"regions?", r"machines?", r"consisten\w+", r"durab\w+",
    r"requirements?", r"constraints?", r"expire\w*", r"ordering", r"range", r"bounded", r"real ?time", r"single (?:machine|node|process|thread)",
)
# Mentioning assumptions without making one: "normally you'd clarify assumptions first, but I'll just
# start", "it depends on your assumptions, I won't go into that".
_META_ASSUME = rx(r"for (?:now|this|simplicity)", r"assum\w*", r"presum\w+", r"requirements?", r"constraints?", r"clarif\w+", r"questions?", r"scop\w+", r"before (?:i|we)",
                  r"before (?:diving|jumping|starting|coding|writing|getting|designing)", r"ask\w*", r"confirm\w*", r"pin down|nail down")
_NOT_MAKING = rx(
    r"normally", r"usually", r"typically", r"ideally", r"in theory", r"in a real (?:interview|project|system)", r"people (?:would|usually|normally|often)",
    r"you(?:'d| would| should| could| might|'re supposed| are supposed| normally| usually| typically)", r"one (?:would|should)",
    r"supposed to", r"your (?:assum\w+|requirements?|constraints?)", r"depends on (?:the |your |what |which )?(?:assum\w+|requirements?|constraints?)",
    r"(?:won't|will not|not going to|not gonna|don't want to|no need to|not) (?:\w+ ){0,2}(?:go|get|dig|make|bother|worry|spend)",
    r"go into (?:that|those|it|this|them)", r"get into (?:that|those|it|this|them)", r"skip(?:ping)? (?:that|those|it|this|them|the|over|ahead|past)",
    r"(?:i'll|i will|let's|let me|i'm going to|i am going to) just (?:start|dive|jump|go|get going|begin|code)",
)
# A condition inside the solution: "when the window has passed, I reset it", "even if two nodes race".
_SOLUTION_COND = {"when", "whenever", "unless"}


# A worked example in a coding answer ("like for 25, two 12s is 24", "take the array 4 100 3 200") uses
# numbers to show the algorithm, not to state a constraint.
_WORKED_EXAMPLE = rx(
    r"for (?:example|instance)", r"e g", r"like (?:for|with|if)", r"take (?:the|this|an?) (?:\w+ )?(?:array|list|input|string|example|case|sequence|numbers?|amount|tree|graph)",
    r"(?:the|an?|this) (?:example|sample) (?:input|array|list|string)?", r"(?:gives|returns|outputs|is|equals|makes|comes to) " + NUM,
    r"plus|minus|times|divided by|sums? to|adds? up to", NUM + r" " + NUM + r" " + NUM,
)


def _worked_example(doc: Doc, pos: int) -> bool:
    lo, hi = doc.window(pos, 40, 40)
    return bool(_WORKED_EXAMPLE.search(doc.span_text(lo, hi)))


def _clause_opener(doc: Doc, pos: int, *, coding: bool) -> bool:
    """The hit sits in a when/whenever/even-if clause (coding: any if) of the solution's logic."""
    i = doc.token_at(pos)
    s = doc.sentence_of[i] if doc.sentence_of else 0
    for back in range(0, 9):
        j = i - back
        if j < 0 or (doc.sentence_of and doc.sentence_of[j] != s) or (back and j in doc.comma_after):
            return False
        t = doc.tokens[j]
        if back and (t in ("but", "so", "because", "then") or (t in ("and", "or") and doc.tokens[j + 1] in ("i", "we", "then", "you"))):
            return False  # a new main clause; "when A and the data is B" is still one condition
        if t in _SOLUTION_COND or (t == "if" and (coding or (j > 0 and doc.tokens[j - 1] == "even"))):
            rest = " ".join(doc.tokens[j + 1:j + 4])
            return not re.match(r"(?:we|i)(?:'re| are| am|'m)? (?:talking|dealing|assum|understand|look)|(?:i|we) (?:understand|get it|read)", rest)
    return False


# Openers that frame a case ("let's take", "consider the", "we treat X as") also open solution steps:
# "let's start by sorting", "let's go with a hash map", "we treat each bracket as a push".
_WEAK_FRAME = rx(r"let's (?:just )?(?:take|go with|stick with|consider|start by|first|treat)", r"let us take", r"consider (?:a|an|the|two|some)",
                 r"(?:take|think of|picture|imagine) (?:a|an|the|two|some|it)", r"(?:i|we)(?:'re| are|'m| am) going to treat", r"(?:i|we)(?:'ll| will)? treat (?:it|the|this|them|each|every|that) (?:\w+ ){0,3}as")
_SOLUTION_STEP = rx(r"sort\w*", r"walk\w*", r"scan\w*", r"loop\w*", r"iterat\w+", r"passes", r"(?:one|a|single|second) pass", r"hash ?(?:map|set|table)?", r"map", r"set", r"heap",
                    r"stack", r"deque", r"pointers?", r"sliding", r"window", r"pivot", r"partition\w*", r"recurs\w+", r"dfs", r"bfs", r"binary search", r"push\w*", r"pop\w*",
                    r"trie", r"dictionary", r"sweep\w*", r"merg\w+", r"counter", r"memo\w*", r"dp", r"dynamic programming", r"greedy", r"brute force", r"two pass",
                    r"the (?:first|last|middle|smallest|largest) (?:element|item|value|node)", r"prefix", r"bucket\w*", r"union find", r"queue",
                    r"(?:digit )?sums?", r"mod(?:ulo)?", r"divid\w+", r"remainders?", r"max(?:imum)?", r"min(?:imum)?", r"(?:running )?totals?")


def _solution_step(doc: Doc, h: Hit) -> bool:
    i = doc.token_at(h.pos)
    return bool(_WEAK_FRAME.fullmatch(h.text)) and bool(_SOLUTION_STEP.search(doc.span_text(i, min(len(doc.tokens), i + len(h.text.split()) + 5))))


def _real_assumption(doc: Doc, h: Hit, category: str) -> bool:
    """Drop assumption hits that pin nothing down (see _META_Q, _NOT_MAKING, _clause_opener)."""
    i = doc.token_at(h.pos)
    lo, hi = doc.window(h.pos, 40, 40)  # the hit's sentence
    sentence = doc.span_text(lo, hi)
    if (doc.sentence_of[i] in doc.questions or _early_question_shape(doc, lo, hi)) and _META_Q.search(sentence) \
            and not _PROBLEM_CUE.search(sentence):
        return False
    if _META_ASSUME.fullmatch(h.text) or _META_ASSUME.match(h.text):
        # the sentence, and the start of the next one ("... first. But I'll just start.")
        nlo, nhi = doc.window(h.pos, 14, 20, same_sentence=False)
        if _NOT_MAKING.search(doc.span_text(lo, hi)) or _NOT_MAKING.search(doc.span_text(max(lo, i), nhi)):
            return False
    if _clause_opener(doc, h.pos, coding=category == "coding"):
        return False
    if _solution_step(doc, h):
        return False
    if category in ("system_design", "fundamentals") and (_chosen_not_required(doc, h) or _buzzword_list(doc, h)):
        return False
    return True


# "for delivery I'd go with at least once": a guarantee the speaker picks, not a requirement given.
_CHOOSING_BEFORE = rx(r"(?:go|going|went|stick|sticking) with", r"use", r"using", r"pick", r"choose", r"opt for", r"settle on", r"implement", r"offer",
                      r"provide", r"aim for", r"(?:i|we)(?:'d|'ll| would| will)(?: just| probably)? (?:do|give|make it)",
                      # a property of a tool: "with kafka we get ordering per partition"
                      r"(?:we|you) get", r"gives? (?:us|you)", r"provides?", r"offers?")
# "for consistency we'd use postgres transactions", "at least once is what kafka gives us"
_CHOICE_AFTER = rx(r"(?:i|we)(?:'d|'ll| would| will)? (?:just |probably )?(?:use|go with|pick|choose|rely on|lean on|get|want)",
                   r"(?:is|which is) what (?:\w+ ){1,2}(?:gives|provides|offers|does)", r"(?:comes|come) (?:for free|built in|out of the box) with")
_GUARANTEE_WORDS = rx(r"(?:at least|exactly|at most) once", r"ordering", r"(?:high |highly )?availab\w+", r"durab\w+", r"consisten\w+", r"latency", r"real ?time", r"freshness", r"retention")


def _chosen_not_required(doc: Doc, h: Hit) -> bool:
    if not _GUARANTEE_WORDS.match(h.text):
        return False
    i = doc.token_at(h.pos)
    lo, _ = doc.window(h.pos, 4, 0)
    if _CHOOSING_BEFORE.search(doc.span_text(lo, i)):
        return True
    j = doc.token_at(h.pos + len(h.text) - 1) + 1
    _, hi = doc.window(h.pos, 0, len(h.text.split()) + 6)
    return bool(_CHOICE_AFTER.match(doc.span_text(j, hi)) or _CHOICE_AFTER.search(doc.span_text(j, min(hi, j + 5))))


# "it should be scalable, highly available, microservices, auto scaling": adjectives strung together
# constrain nothing; a figure or a load beside them does ("highly available, a few minutes of downtime a month").
_BUZZ_LIST = rx(r"scalab\w+", r"(?:highly )?available", r"fault tolerant", r"resilient", r"reliable", r"robust", r"secure", r"fast", r"performant",
                r"microservices", r"auto ?scal\w+", r"cloud native", r"serverless", r"kubernetes", r"containeri[sz]ed", r"distributed", r"event driven",
                r"real ?time", r"low latency", r"elastic", r"modern", r"efficient", r"consistent", r"durable", r"maintainable", r"extensible", r"flexible")
_CONCRETE = re.compile(NUM + r"|\b(?:per|a) (?:second|minute|hour|day|month)\b|\b(?:users|requests|writes|reads|events|devices|downtime|nines|stale|lose|lost)\b")


def _buzzword_list(doc: Doc, h: Hit) -> bool:
    lo, hi = doc.window(h.pos, 40, 40)  # the hit's sentence
    span = doc.span_text(lo, hi)
    return len(_BUZZ_LIST.findall(span)) >= 3 and not _CONCRETE.search(span)


def _early_question_shape(doc: Doc, lo: int, hi: int) -> bool:
    k = lo
    while k < hi and doc.tokens[k] in _LEAD:
        k += 1
    return k + 1 < hi and doc.tokens[k] in _AUX and doc.tokens[k + 1] in _SUBJ


# Terse stories drop the subject: "Profiled it first, then found an N+1 query. Rewrote it as one join."
# A past-tense verb opening a sentence or a "then"/comma clause is the speaker's own action.
_IRREGULAR_PAST = {"built", "wrote", "ran", "found", "made", "took", "led", "set", "put", "cut", "got", "brought", "sent", "shipped", "split",
                   "kept", "drove", "began", "chose", "paired", "rewrote", "rebuilt", "caught", "dug", "spent", "told", "gave", "sat", "met", "held"}
_NOT_ACTIONS = {"turned", "seemed", "happened", "looked", "appeared", "needed", "used", "based", "called", "named", "related", "supposed",
                "interested", "involved", "tired", "scared", "excited", "worried", "concerned", "red", "bed", "shed", "speed", "feed", "need", "seed"}
_CLAUSE_LEAD = {"then", "first", "and", "so", "also", "finally", "next", "later", "after", "afterwards", "eventually", "basically"}


def _subjectless_actions(doc: Doc) -> int:
    n = 0
    for k, t in enumerate(doc.tokens):
        if not (t in _IRREGULAR_PAST or (t.endswith("ed") and len(t) >= 5 and t not in _NOT_ACTIONS)):
            continue
        j = k - 1
        while j >= 0 and doc.tokens[j] in _CLAUSE_LEAD and doc.sentence_of[j] == doc.sentence_of[k] and j not in doc.comma_after:
            j -= 1
        if j < 0 or doc.sentence_of[j] != doc.sentence_of[k] or j in doc.comma_after:
            n += 1
    return n


def _ownership(doc: Doc) -> tuple[int, int]:
    i_count = sum(1 for m in I_ACTION.finditer(doc.text) if not _generic_i(doc, m.start()))
    we_count = sum(1 for _ in WE_ACTION.finditer(doc.text))
    if i_count < 2 and we_count <= 1:
        # only where the speaker leaves every subject out; after "we ..." a bare verb may be the team's
        i_count += _subjectless_actions(doc)
    return i_count, we_count


def _generic_i(doc: Doc, pos: int) -> bool:
    i = doc.token_at(pos)
    nxt = doc.tokens[i + 1] if i + 1 < len(doc.tokens) else ""
    return nxt in ("think", "guess", "mean", "believe", "remember", "feel", "suppose", "know", "was")


# A dashboard is observability only when it shows the system's health, not the product's data
# ("the dashboards and other teams query the data" is a feature).
_DASHBOARD = rx(r"dashboards?")
_HEALTH_NEAR = rx(r"metrics?", r"latency", r"lag", r"errors?", r"error rates?", r"alerts?", r"alerting", r"health", r"throughput", r"p ?(?:50|90|95|99|999)",
                  r"grafana", r"datadog", r"monitor\w*", r"ops", r"on ?call", r"saturation", r"queue depth", r"slos?", r"rates?", r"percentiles?", r"failures?",
                  r"retries", r"backlog", r"utili[sz]ation", r"cpu", r"memory", r"dead letter", r"timeouts?", r"uptime")


# "it needs a post endpoint", "we need a queue here": a part of the design, not something the system must do.
_NEEDS_A = rx(r"(?:we|it|the system|the service) needs? (?:a|an|the|another|one|two|some)")
_DESIGN_PART = rx(r"endpoints?", r"routes?", r"tables?", r"columns?", r"index\w*", r"queues?", r"topics?", r"workers?", r"services?", r"caches?", r"load balancers?",
                  r"databases?", r"db", r"schema", r"api", r"gateway", r"buckets?", r"cron", r"scheduler", r"lock", r"field", r"column", r"partition\w*", r"replicas?",
                  r"(?:post|get|put|patch|delete)", r"consumers?", r"producers?", r"stream", r"lambda", r"container", r"cluster", r"server",
                  r"(?:audit |event |access |change )?logs?", r"dashboards?", r"ui", r"admin \w+", r"storage", r"store", r"notifications?", r"search", r"login", r"auth\w*")


def _design_part_needed(doc: Doc, h: Hit) -> bool:
    if not _NEEDS_A.match(h.text):
        return False
    i = doc.token_at(h.pos) + len(h.text.split())
    return bool(_DESIGN_PART.search(doc.span_text(max(0, i - 1), min(len(doc.tokens), i + 3))))


def _observability_hits(doc: Doc) -> list[Hit]:
    hits = _hits(doc, OBSERVABILITY, "observability")
    hits += [h for h in _hits(doc, _DASHBOARD, "observability") if _near(doc, h.pos, _HEALTH_NEAR, 8, 8, same_sentence=True)]
    return hits


ELEMENT_PATTERNS: dict[str, re.Pattern[str]] = {
    "restate": RESTATE, "baseline": BASELINE, "improvement": IMPROVEMENT, "complexity": COMPLEXITY, "tests": TESTS,
    "requirements": REQUIREMENTS, "scale": SCALE, "entities_apis": ENTITIES_APIS, "architecture": ARCHITECTURE,
    "failure_modes": FAILURE_MODES, "observability": OBSERVABILITY, "tradeoffs": TRADEOFFS, "security": SECURITY,
    "scope": SCOPE, "constraints": CONSTRAINTS, "decision": DECISION, "learning": LEARNING,
}


def detect_structure(doc: Doc, category: str, elements: tuple[str, ...] | list[str]) -> StructureReport:
    """Booleans for `assumptions`, `outcome` and every element in `elements`, with where they were heard."""
    wanted = ["assumptions", "outcome"] + [e for e in elements if e not in ("assumptions", "outcome")]
    hits: dict[str, list[Hit]] = {}
    cache: dict[str, list[Hit]] = {}

    def family(name: str) -> list[Hit]:
        if name not in cache:
            if name == "storage":
                cache[name] = _storage_hits(doc)
            elif name == "result":
                cache[name] = _result_hits(doc)
            elif name == "context":
                cache[name] = _hits(doc, CONTEXT, "assumptions")
            elif name == "owned":
                cache[name] = _hits(doc, OWNED, "scope")
            elif name == "observability":
                cache[name] = _observability_hits(doc)
            elif name == "requirements":
                cache[name] = [h for h in _hits(doc, REQUIREMENTS, name) if not _design_part_needed(doc, h)]
            elif name in ("complexity", "tests"):
                cache[name] = [h for h in _hits(doc, ELEMENT_PATTERNS[name], name) if _checked(doc, h, complexity=name == "complexity")]
            else:
                cache[name] = _hits(doc, ELEMENT_PATTERNS[name], name)
        return cache[name]

    def scoped_owned() -> list[Hit]:
        """Ownership that sets a scope: "I owned the billing service", not the bare action "I built the API"."""
        return [h for h in family("owned") if not re.fullmatch(r"i (?:built|designed|wrote|ran)", h.text)
                or (h.frac <= 0.25 and _near(doc, h.pos, STORY_SCENE, 0, 14, same_sentence=True))]

    rep = StructureReport(present={}, hits={})
    long_answer = doc.n_words >= 45

    # assumptions
    if category == "behavioral":
        owned = scoped_owned()
        a_hits = [h for h in family("context") + owned if h.frac <= (CONTEXT_BY_FRAC if long_answer else 0.5)]
        a_hits += [h for h in _hits(doc, STORY_OPENER, "assumptions") if h.frac <= 0.25 and _sentence_initial(doc, h.pos)
                   and (_near(doc, h.pos, STORY_SCENE, 0, 14, same_sentence=True)
                        or (_OWNING_OPENER.match(h.text) and _near(doc, h.pos, _RELATIVE, 0, 8, same_sentence=True)))]
        a_hits += [h for h in _hits(doc, PERSON_OPENER, "assumptions") if h.frac <= (CONTEXT_BY_FRAC if long_answer else 0.5)
                   and _person_opener_with_scene(doc, h)]
    else:
        a_hits = _hits(doc, ASSUMPTION, "assumptions", negatable=False)
        # a scale estimate early on is an assumption too ("let's say about 10000 devices")
        a_hits += [h for h in family("scale") if h.frac <= EARLY_FRAC and _is_load_estimate(h.text)
                   and not (category == "coding" and not _RATE_RX.search(h.text) and _worked_example(doc, h.pos))]
        if category == "system_design":
            a_hits += [h for h in family("requirements") if h.frac <= EARLY_FRAC and re.search(
                r"requirement|functional|clarify|confirm|ask|do we need|need|main|key|core|should (?:it|we|the)|use case|availab|durab|consisten|latency|real ?time|once|ordering|retention|freshness|read|write"
                r"|must|exact|stale|means|counts as|defined|tolerat|live with|behind|accurate|correct|fresh|goal|allowed|under|below|within",
                h.text)]
        a_hits += _early_questions(doc)
        # framing the answer by a case: "if the teams are small ...", "picture a service at its limit",
        # "say most jobs take seconds" (conditionals only outside coding, where "if" is the algorithm)
        a_hits += [h for h in _hits(doc, FRAMING, "assumptions", negatable=False)
                   if h.frac <= EARLY_FRAC and _sentence_initial(doc, h.pos)
                   and not (category == "coding" and _worked_example(doc, h.pos))
                   and (not h.text.startswith("if ") or (category in ("fundamentals", "system_design")
                                                        and _near(doc, h.pos, FIRST_PERSON_CHOICE, 0, 25, same_sentence=True)))]
        a_hits = [h for h in a_hits if _real_assumption(doc, h, category)]
    first_a = _first(a_hits)
    if first_a is not None and category in ("coding", "system_design") and long_answer:
        rep.assumptions_late = first_a.frac > EARLY_FRAC
    if long_answer and category != "behavioral":
        a_hits = [h for h in a_hits if h.frac <= ASSUME_BY_FRAC]  # said before solving, not in passing later
    hits["assumptions"] = a_hits

    # outcome
    if category == "behavioral":
        o_hits = family("result")
    elif category == "coding":
        late = 0.3 if long_answer else 0.0
        # "brute force would be n squared" is the baseline's cost, not the final complexity
        final_cx = [h for h in family("complexity") if not _near(doc, h.pos, BASELINE, 12, 0, same_sentence=True)]
        o_hits = [h for h in final_cx + family("tests") if h.frac >= late]
    else:
        o_hits = _decision_hits(doc, late_from=0.3)
    hits["outcome"] = o_hits

    for e in wanted[2:]:
        if e == "ownership":
            continue
        if e == "tradeoffs":
            strong = [h for h in family("tradeoffs") if not WEAK_TRADEOFF.fullmatch(h.text)]
            # the reason must be another phrase than the contrast itself ("instead of" is both):
            # "it returns the old result instead of charging again" is a mechanism
            weak = [h for h in family("tradeoffs") if WEAK_TRADEOFF.fullmatch(h.text) and _reason_beside(doc, h)]
            hits[e] = strong + weak
            continue
        if e == "scope":
            hits[e] = [h for h in family("context") + scoped_owned() if h.frac <= 0.5]  # the scene is set up front
            hits[e] += [h for h in _hits(doc, PERSON_OPENER, "scope") if h.frac <= 0.5 and _person_opener_with_scene(doc, h)]
        elif e == "requirements" and category == "system_design":
            hits[e] = family("requirements") + _early_questions(doc)
        elif e in ("storage", "result"):
            hits[e] = family(e)
        elif e in ELEMENT_PATTERNS:
            hits[e] = family(e)
        else:
            hits[e] = []

    rep.i_count, rep.we_count = _ownership(doc)
    if "ownership" in wanted:
        hits["ownership"] = []
    for e in wanted:
        if e == "ownership":
            rep.present[e] = rep.i_count >= 2 and rep.i_count >= 0.5 * rep.we_count
            rep.hits[e] = None
        else:
            rep.present[e] = bool(hits.get(e))
            rep.hits[e] = _first(hits.get(e, []))

    if category == "behavioral":
        rep.measurable_result = bool(hits["outcome"])
        rep.qualitative_result = rep.measurable_result or bool(_hits(doc, QUALITATIVE_RESULT, "result"))

    # buzzwords
    found: list[str] = []
    unreasoned: list[str] = []
    first_unreasoned: Hit | None = None
    by_name: dict[str, list[re.Match[str]]] = {}
    for m in BUZZ_ANY.finditer(doc.text):
        if not _negated(doc, m.start()):
            by_name.setdefault(_BUZZ_GROUPS[m.lastgroup or ""], []).append(m)
    for name in BUZZWORDS:
        ms = by_name.get(name)
        if not ms:
            continue
        found.append(name)
        if not any(_near(doc, m.start(), BUZZ_REASON, 8, 14, same_sentence=True) for m in ms):
            unreasoned.append(name)
            h = Hit("buzzwords", ms[0].start(), doc.frac(ms[0].start()), doc.time_at(ms[0].start()), ms[0].group(0))
            if first_unreasoned is None or h.pos < first_unreasoned.pos:
                first_unreasoned = h
    rep.buzzwords, rep.buzzwords_unreasoned, rep.buzz_hit = found, unreasoned, first_unreasoned

    # vagueness: many generalities, little concrete detail
    vague_hits = [m.group(0) for m in VAGUE.finditer(doc.text)]
    rep.vague_count = len(vague_hits)
    rep.vague_examples = list(dict.fromkeys(vague_hits))[:3]
    numbers = sum(1 for t in doc.tokens if t[0].isdigit())
    specific = sum(1 for e in ("complexity", "failure_modes", "observability", "scale", "result", "storage", "entities_apis", "tests")
                   if family(e))
    rep.concrete_count = numbers + 2 * specific
    rep.vague = doc.n_words >= 20 and rep.vague_count >= 3 and rep.concrete_count < rep.vague_count
    return rep
