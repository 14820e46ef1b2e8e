package inbox

import (
	"fmt"
	"testing"
)

func TestSameAssigneeTakesNilAndZeroForNobody(t *testing.T) {
	id := func(n int64) *int64 { return &n }
	show := func(p *int64) string {
		if p == nil {
			return "nil"
		}
		return fmt.Sprint(*p)
	}
	for _, c := range []struct {
		a, b *int64
		want bool
	}{
		{nil, nil, true},
		{nil, id(0), true},
		{id(0), nil, true},
		{id(0), id(0), true},
		{id(7), id(7), true},
		{id(7), id(8), false},
		{id(7), nil, false},
		{nil, id(7), false},
		{id(7), id(0), false},
		{id(0), id(7), false},
	} {
		if got := SameAssignee(c.a, c.b); got != c.want {
			t.Errorf("SameAssignee(%s, %s) = %v; want %v", show(c.a), show(c.b), got, c.want)
		}
	}
}
