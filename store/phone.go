package store

import (
	"context"
	"strconv"
	"strings"

	"github.com/nyaruka/phonenumbers"

	"switchboard/inbox"
)

// phoneFragment is what a typed phone number, or a part of one, is in the
// digits the search index keeps numbers in (the international number
// without its "+"): "+49 176 1234", "0049 176 1234" and, in Germany,
// "0176-1234" and "(0176) 12 34" are all "491761234" or "1761234". The
// number is read by libphonenumber's rules (international and national
// prefixes, trunk codes and their exceptions) for the country of region,
// the business's own. A number written with its country is that
// country's code and the national number; one written nationally is the
// national number alone, found inside any country's. What the library
// cannot read (a short fragment) is its digits as typed.
func phoneFragment(t inbox.SearchTerm, region string) string {
	if t.Digits == "" {
		return ""
	}
	n, err := phonenumbers.ParseAndKeepRawInput(t.Text, region)
	if err != nil || n.GetNationalNumber() == 0 {
		return t.Digits
	}
	nsn := phonenumbers.GetNationalSignificantNumber(n)
	switch n.GetCountryCodeSource() {
	case phonenumbers.PhoneNumber_FROM_NUMBER_WITH_PLUS_SIGN, phonenumbers.PhoneNumber_FROM_NUMBER_WITH_IDD,
		phonenumbers.PhoneNumber_FROM_NUMBER_WITHOUT_PLUS_SIGN:
		return strconv.Itoa(int(n.GetCountryCode())) + nsn
	}
	// The library keeps the trunk prefix of a fragment too short to be a
	// number ("0176"): it is not part of the international number.
	if ndd := phonenumbers.GetNddPrefixForRegion(region, true); ndd != "" && strings.HasPrefix(nsn, ndd) &&
		strings.HasPrefix(t.Digits, ndd) && len(nsn)-len(ndd) >= 3 {
		return nsn[len(ndd):]
	}
	return nsn
}

// phoneRegion is the country the business's default number belongs to
// (the first sender's, when none is the default), in which numbers
// written without a country are read; "ZZ" (none) when it is not known.
func (db *DB) phoneRegion(ctx context.Context) string {
	var phone string
	if err := db.reader.QueryRowContext(ctx, `SELECT phone FROM senders WHERE phone <> ''
		ORDER BY is_default DESC, created_at LIMIT 1`).Scan(&phone); err != nil {
		return phonenumbers.UNKNOWN_REGION
	}
	if !strings.HasPrefix(phone, "+") {
		phone = "+" + phone
	}
	n, err := phonenumbers.Parse(phone, phonenumbers.UNKNOWN_REGION)
	if err != nil {
		return phonenumbers.UNKNOWN_REGION
	}
	return phonenumbers.GetRegionCodeForNumber(n)
}
