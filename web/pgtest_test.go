package web_test

import (
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"switchboard/store"
	"switchboard/store/pgtest"
	"switchboard/store/sqlitetest"
)

// The end-to-end tests of webhooks, replies and the outbox, and live
// updates run on both engines: TestPostgres runs them again, each on a
// PostgreSQL schema of its own, on the database SWITCHBOARD_TEST_POSTGRES
// names (skipped without one, saying how to start one, unless CI=true).

// onPostgres reports whether t runs under TestPostgres.
func onPostgres(t testing.TB) bool { return strings.HasPrefix(t.Name(), "TestPostgres/") }

// pgOpened records the tests of TestPostgres that opened PostgreSQL.
var pgOpened sync.Map

// testDSN is where a new test server's database lives: a SQLite file of
// the test's own, or under TestPostgres a PostgreSQL schema of its own.
func testDSN(t *testing.T) string {
	t.Helper()
	if !onPostgres(t) {
		path := filepath.Join(t.TempDir(), "switchboard.db")
		sqlitetest.Migrated(t, path, func(path string) error {
			db, err := store.Open(path, store.ForOneCommand())
			if err != nil {
				return err
			}
			return db.Close()
		})
		return path
	}
	if parts := strings.SplitN(t.Name(), "/", 3); len(parts) >= 2 {
		pgOpened.Store(parts[0]+"/"+parts[1], true)
	}
	return pgtest.Schema(t)
}

// openTestStore opens the database at dsn, closed when t ends.
func openTestStore(t *testing.T, dsn string, opts ...store.Option) *store.DB {
	t.Helper()
	db, err := store.Open(dsn, opts...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

// pgEndToEnd is the tests run on PostgreSQL as well. Webhooks in any
// order and repeated are the store's TestPostgres's to prove
// (TestAnyOrderOfEventsGivesTheSameState): here, each is 700 requests.
// The composer's pages are the same on both engines; each sign-in costs
// a password hash, which -race makes slow, so few of them run here.
var pgEndToEnd = []struct {
	name string
	test func(*testing.T)
}{
	// Webhooks.
	{"TestWebhookRejectsBadInputAndStoresNothing", TestWebhookRejectsBadInputAndStoresNothing},
	{"TestDuplicateDeliveryIsAcknowledgedOnce", TestDuplicateDeliveryIsAcknowledgedOnce},
	{"TestBrokenPayloadIsKeptWithItsError", TestBrokenPayloadIsKeptWithItsError},
	{"TestSendersSecretSignsOnlyItsOwnMessagesEvents", TestSendersSecretSignsOnlyItsOwnMessagesEvents},
	{"TestSenderSignedEventOnAMessageStoredMeanwhileIsKeptFailed", TestSenderSignedEventOnAMessageStoredMeanwhileIsKeptFailed},
	{"TestTextWithANulCharacterIsTaken", TestTextWithANulCharacterIsTaken},
	{"TestAPIRefusesParametersThatAreNotText", TestAPIRefusesParametersThatAreNotText},
	{"TestPagesRefuseParametersThatAreNotText", TestPagesRefuseParametersThatAreNotText},
	// Replies and the outbox.
	{"TestAPIReply", TestAPIReply},
	{"TestOptedOutConversationCannotBeAnswered", TestOptedOutConversationCannotBeAnswered},
	{"TestRetryAFailedReply", TestRetryAFailedReply},
	{"TestRetryAfterZavuWentSilentSendsOneCopy", TestRetryAfterZavuWentSilentSendsOneCopy},
	{"TestLateReportOfARetriedReplyMakesNoOtherBubble", TestLateReportOfARetriedReplyMakesNoOtherBubble},
	{"TestAReplyWaitingForARetrySaysWhyAndWhen", TestAReplyWaitingForARetrySaysWhyAndWhen},
	{"TestAReplyBeingTriedAgainSaysWhyItWaitedOnEveryPage", TestAReplyBeingTriedAgainSaysWhyItWaitedOnEveryPage},
	{"TestAReplyHeldByARateLimitSaysWhenThePauseEnds", TestAReplyHeldByARateLimitSaysWhenThePauseEnds},
	{"TestAReplyQueuedDuringARateLimitPauseSaysWhenThePauseEnds", TestAReplyQueuedDuringARateLimitPauseSaysWhenThePauseEnds},
	{"TestAReplyWrittenBeforeARateLimitSaysWhenItIsSent", TestAReplyWrittenBeforeARateLimitSaysWhenItIsSent},
	{"TestAReplyZavuFailedAtOnceKeepsItsReports", TestAReplyZavuFailedAtOnceKeepsItsReports},
	{"TestAPIReplyWithAnIdempotencyKeyIsSentOnce", TestAPIReplyWithAnIdempotencyKeyIsSentOnce},
	{"TestLiveDropsTheRowOfAConversationAPlaceholderLeft", TestLiveDropsTheRowOfAConversationAPlaceholderLeft},
	{"TestSendRefusedAsOptedOutClosesTheComposer", TestSendRefusedAsOptedOutClosesTheComposer},
	// Live updates.
	{"TestLiveUpdatesReachEveryAgent", TestLiveUpdatesReachEveryAgent},
	{"TestLiveReplaysWhatAPageMissedOrAsksItToFetch", TestLiveReplaysWhatAPageMissedOrAsksItToFetch},
	{"TestLiveStatusSendsTheBubbleAlone", TestLiveStatusSendsTheBubbleAlone},
	// Agents: an admin's change meeting another admin's.
	{"TestRoleChangeWhileTheAgentIsDeactivatedLeavesThemDeactivated", TestRoleChangeWhileTheAgentIsDeactivatedLeavesThemDeactivated},
	{"TestReactivationWhileTheRoleChangesKeepsTheNewRole", TestReactivationWhileTheRoleChangesKeepsTheNewRole},
	// Sign-in limits, counted in the database.
	{"TestSignInTyposOfATeamBehindOneAddressLockNobodyOut", TestSignInTyposOfATeamBehindOneAddressLockNobodyOut},
	// Servers sharing one database.
	{"TestSignInLimitHoldsAcrossServers", TestSignInLimitHoldsAcrossServers},
	{"TestSessionsHoldAcrossServers", TestSessionsHoldAcrossServers},
}

// TestPostgres runs the end-to-end tests on PostgreSQL.
func TestPostgres(t *testing.T) {
	pgtest.URL(t)
	for _, c := range pgEndToEnd {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			c.test(t)
			if _, ok := pgOpened.Load(t.Name()); !ok && !t.Skipped() {
				t.Error("the test opened no PostgreSQL database")
			}
		})
	}
}
