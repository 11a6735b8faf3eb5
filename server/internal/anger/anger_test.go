package anger

import "testing"

func TestScratch(t *testing.T) {
	for _, s := range []string{"This is absolutely unacceptable. I paid for next day delivery and it's been a WEEK.", "Not bad at all, the quality is better than I expected"} {
		t.Logf("%+v", Score(s, ""))
	}
}
