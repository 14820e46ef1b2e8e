package store

import (
	"context"
	"slices"
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

// minNumberDigits is the fewest digits of a phone-like term that a
// message is searched for in other ways of writing it (numberForms):
// fewer are more often a price, a date or a code than part of a number.
const minNumberDigits = 5

// wholeNumber is the phone number t is written as, when it is a whole
// valid number: read in the country of region, as phoneFragment reads
// it, or else as an international number whose "+" was left out
// ("13125559876" at a business in Germany); nil for a fragment or what
// is no number.
func wholeNumber(t inbox.SearchTerm, region string) *phonenumbers.PhoneNumber {
	if len(t.Digits) < minNumberDigits {
		return nil
	}
	for _, read := range [][2]string{{t.Text, region}, {"+" + t.Digits, phonenumbers.UNKNOWN_REGION}} {
		if n, err := phonenumbers.Parse(read[0], read[1]); err == nil && phonenumbers.IsValidNumber(n) {
			return n
		}
	}
	return nil
}

// numberForms are the other ways a message may write the phone number,
// or part of one, that t names (its Digits as phoneFragment reads them;
// n, the whole number, when it is one): words, for the word index, where
// a phrase of groups ("312 555 9876") matches them whatever stands
// between ("(312) 555-9876", "312.555.9876") and digits run together
// are one word ("13125559876"); and substrings, for the trigram index,
// digits run together. A whole number is written in its country's
// national and international groups, and its digits with and without
// its country code; a fragment, as its digits. None is t as written.
func numberForms(t inbox.SearchTerm, n *phonenumbers.PhoneNumber) (words, subs []string) {
	if len(t.Digits) < minNumberDigits {
		return nil, nil
	}
	add := func(list []string, s string) []string {
		if s == "" || s == t.Text || slices.Contains(list, s) {
			return list
		}
		return append(list, s)
	}
	words, subs = add(words, t.Digits), add(subs, t.Digits)
	if n == nil {
		return words, subs
	}
	nsn := phonenumbers.GetNationalSignificantNumber(n)
	words = add(words, strconv.Itoa(int(n.GetCountryCode()))+nsn)
	words = add(words, nsn)
	for _, format := range []phonenumbers.PhoneNumberFormat{phonenumbers.NATIONAL, phonenumbers.INTERNATIONAL} {
		words = add(words, strings.Join(strings.FieldsFunc(phonenumbers.Format(n, format),
			func(r rune) bool { return r < '0' || r > '9' }), " "))
	}
	if !strings.Contains(t.Digits, nsn) {
		subs = add(subs, nsn)
	}
	return words, subs
}
