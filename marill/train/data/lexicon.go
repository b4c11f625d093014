package data

// The lexicon of the built-in grammar: every word the corpus and the
// built-in tasks use. Tables are read-only.

// noun is a noun's singular and plural form.
type noun struct{ sg, pl string }

// verb is a verb's third-person singular and plural present forms.
type verb struct{ sg, pl string }

var people = []noun{
	{"teacher", "teachers"}, {"doctor", "doctors"}, {"student", "students"}, {"farmer", "farmers"},
	{"child", "children"}, {"artist", "artists"}, {"driver", "drivers"}, {"singer", "singers"},
	{"player", "players"}, {"chef", "chefs"}, {"pilot", "pilots"}, {"writer", "writers"},
	{"friend", "friends"}, {"neighbor", "neighbors"}, {"baker", "bakers"}, {"nurse", "nurses"},
	{"lawyer", "lawyers"}, {"dancer", "dancers"}, {"painter", "painters"}, {"sailor", "sailors"},
}

var animals = []noun{
	{"dog", "dogs"}, {"cat", "cats"}, {"horse", "horses"}, {"bird", "birds"}, {"fox", "foxes"},
	{"mouse", "mice"}, {"wolf", "wolves"}, {"rabbit", "rabbits"}, {"cow", "cows"}, {"duck", "ducks"},
	{"goat", "goats"}, {"bear", "bears"}, {"lion", "lions"}, {"puppy", "puppies"},
}

var things = []noun{
	{"car", "cars"}, {"house", "houses"}, {"tree", "trees"}, {"river", "rivers"}, {"table", "tables"},
	{"window", "windows"}, {"key", "keys"}, {"box", "boxes"}, {"phone", "phones"}, {"lamp", "lamps"},
	{"bridge", "bridges"}, {"garden", "gardens"}, {"road", "roads"}, {"chair", "chairs"},
	{"door", "doors"}, {"bottle", "bottles"}, {"clock", "clocks"}, {"cup", "cups"}, {"bag", "bags"},
	{"letter", "letters"},
}

// works are what people have opinions about: the subjects of the
// sentiment task.
var works = []noun{
	{"movie", "movies"}, {"film", "films"}, {"song", "songs"}, {"album", "albums"}, {"meal", "meals"},
	{"dinner", "dinners"}, {"show", "shows"}, {"game", "games"}, {"story", "stories"},
	{"hotel", "hotels"}, {"restaurant", "restaurants"}, {"concert", "concerts"}, {"play", "plays"},
	{"novel", "novels"}, {"trip", "trips"}, {"party", "parties"}, {"book", "books"}, {"cafe", "cafes"},
	{"museum", "museums"}, {"lecture", "lectures"}, {"class", "classes"}, {"festival", "festivals"},
}

// places appear in prepositional phrases ("in the park").
var places = []string{"park", "city", "street", "school", "kitchen", "market", "station", "village",
	"forest", "beach", "office", "library", "hall", "garden", "harbor", "valley"}

var intransitive = []verb{
	{"runs", "run"}, {"sleeps", "sleep"}, {"sings", "sing"}, {"waits", "wait"}, {"laughs", "laugh"},
	{"walks", "walk"}, {"works", "work"}, {"smiles", "smile"}, {"jumps", "jump"}, {"swims", "swim"},
	{"reads", "read"}, {"writes", "write"}, {"eats", "eat"}, {"talks", "talk"}, {"dances", "dance"},
	{"cries", "cry"}, {"sits", "sit"}, {"stays", "stay"}, {"arrives", "arrive"}, {"returns", "return"},
}

var transitive = []verb{
	{"sees", "see"}, {"likes", "like"}, {"finds", "find"}, {"helps", "help"}, {"visits", "visit"},
	{"watches", "watch"}, {"follows", "follow"}, {"knows", "know"}, {"calls", "call"},
	{"paints", "paint"}, {"carries", "carry"}, {"meets", "meet"}, {"remembers", "remember"},
	{"admires", "admire"},
}

// past forms are the same in both numbers.
var pastTransitive = []string{"saw", "liked", "found", "helped", "visited", "watched", "followed",
	"knew", "called", "painted", "carried", "met", "remembered", "admired"}

var positive = []string{"good", "great", "wonderful", "excellent", "lovely", "brilliant", "delightful",
	"amazing", "pleasant", "superb", "charming", "fantastic", "beautiful", "enjoyable", "perfect", "fun"}

var negative = []string{"bad", "awful", "terrible", "boring", "dull", "poor", "horrible", "dreadful",
	"weak", "mediocre", "disappointing", "bland", "ugly", "annoying", "tedious", "messy"}

var neutralAdj = []string{"old", "new", "small", "large", "red", "green", "quiet", "long", "short",
	"tall", "young", "early", "late", "open", "busy", "round", "blue", "dark", "warm", "cold"}

var intensifiers = []string{"very", "really", "quite", "rather", "truly", "so", "extremely", "pretty", "fairly"}

var adverbs = []string{"today", "yesterday", "again", "here", "there", "tonight", "later", "often",
	"always", "sometimes", "slowly", "quickly", "together", "alone"}

var prepositions = []string{"near", "behind", "with", "beside", "under", "above", "by", "from", "of", "at", "in", "on"}

var pronouns = []string{"i", "we", "they", "you", "he", "she"}

var opinionVerbs = []string{"thought", "said", "felt", "knew", "believed", "agreed"}

var functionWords = []string{"the", "a", "and", "but", "although", "while", "because", "that", "not",
	"never", "it", "was", "were", "is", "are", "has", "have", "this", "these", "those", "my", "our",
	"their", "his", "her", "seemed", "looked", "to", "too", "also", "then", "all", "some", "one", "two",
	"three", "many", "every", "first", "last", "after", "before", ",", "."}

// kindVerbs are the predicates of follow-up sentences, by noun kind
// (things take an adjective instead: thingAdj).
var kindVerbs = [][]verb{
	{{"smiles", "smile"}, {"laughs", "laugh"}, {"talks", "talk"}, {"sings", "sing"}, {"works", "work"}, {"reads", "read"}},
	{{"sleeps", "sleep"}, {"eats", "eat"}, {"runs", "run"}, {"jumps", "jump"}, {"swims", "swim"}},
	nil,
	{{"ends", "end"}, {"starts", "start"}, {"sells", "sell"}},
}

var thingAdj = []string{"old", "new", "large", "small", "red", "green", "blue", "dark", "round"}

// verdicts follow opinions: negative ones, then positive ones.
var verdicts = [2][]string{
	{"i disliked it", "i hated it", "we would avoid it", "i did not like it"},
	{"i liked it", "i loved it", "i enjoyed it", "we would recommend it"},
}
