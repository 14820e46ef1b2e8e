package store

import (
	"database/sql"
	"strings"
	"sync"
	"testing"

	"switchboard/store/pgtest"
)

// The store's tests are its contract: TestPostgres runs those that hold on
// PostgreSQL again, on a PostgreSQL database named by
// SWITCHBOARD_TEST_POSTGRES. openTest opens PostgreSQL for every test
// under TestPostgres, and each of them gets a schema of its own, dropped
// when it ends.

// pgTestURL is the test database's URL. Without one the test is skipped,
// saying how to start one, unless CI=true, where that is a failure.
func pgTestURL(t testing.TB) string { return pgtest.URL(t) }

// pgAdmin opens one connection to the database u names, outside any
// test's Switchboard.
func pgAdmin(t testing.TB, u string) *sql.DB { return pgtest.Conn(t, u) }

// onPostgres reports whether t runs under TestPostgres.
func onPostgres(t testing.TB) bool {
	return strings.HasPrefix(t.Name(), "TestPostgres/")
}

// skipOnPostgres skips a test of SQLite-only behaviour under TestPostgres.
func skipOnPostgres(t testing.TB, why string) {
	t.Helper()
	if onPostgres(t) {
		t.Skip("SQLite only: " + why)
	}
}

// pgOpens counts the PostgreSQL schemas each test of TestPostgres made,
// by the test's name.
var pgOpens sync.Map

// pgTestSchema makes an empty schema for t, emptied when t ends for
// another test, and returns the URL whose connections use it.
func pgTestSchema(t testing.TB) string {
	t.Helper()
	if parts := strings.SplitN(t.Name(), "/", 3); len(parts) >= 2 {
		pgOpens.Store(parts[0]+"/"+parts[1], true)
	}
	return pgtest.Schema(t)
}

// openPostgresTest is openTest on PostgreSQL.
func openPostgresTest(t testing.TB, opts ...Option) *DB {
	t.Helper()
	u := pgTestSchema(t)
	pgTestURLs.Store(redactURL(u), u)
	if s, ok := pgSettings.Load(t.Name()); ok {
		u += "&" + s.(string)
	}
	db, err := Open(u, append([]Option{WithReportPacking(0)}, opts...)...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

// pgContract is the store's tests that run on PostgreSQL as well. Those
// not listed test SQLite itself (query
// plans, PRAGMAs, WAL checkpoints, backup files, disk space, migrations of
// older SQLite schemas). Generate makes its data on PostgreSQL with
// SQLite's statements, whose own checks (TestGenerateMakesConsistent...,
// TestGeneratedDatabaseHasConsistentRollups) run on SQLite, each tens of
// seconds under -race; TestGenerateIsDeterministic compares the data on
// PostgreSQL with SQLite's.
var pgContract = []struct {
	name string
	test func(*testing.T)
}{
	// Webhook ingest: events in every order and duplicated.
	{"TestIngestAppliesANewEvent", TestIngestAppliesANewEvent},
	{"TestIngestDuplicateIsNotApplied", TestIngestDuplicateIsNotApplied},
	{"TestIngestFailureUndoesOnlyItsEvent", TestIngestFailureUndoesOnlyItsEvent},
	{"TestReplayAppliesAFailedEventAgain", TestReplayAppliesAFailedEventAgain},
	{"TestIngestConcurrent", TestIngestConcurrent},
	{"TestIngestCancelledWhileQueued", TestIngestCancelledWhileQueued},
	{"TestIngestCommittedOnceTaken", TestIngestCommittedOnceTaken},
	{"TestCloseWhileIngesting", TestCloseWhileIngesting},
	{"TestEventsPaging", TestEventsPaging},
	{"TestIngestRefusesAnEventWithoutID", TestIngestRefusesAnEventWithoutID},
	{"TestAnyOrderOfEventsGivesTheSameState", TestAnyOrderOfEventsGivesTheSameState},
	{"TestSeedStatusReportsStayWithTheirMessage", TestSeedStatusReportsStayWithTheirMessage},
	{"TestAppendedEventIsAppliedAfterItsCommit", TestAppendedEventIsAppliedAfterItsCommit},
	{"TestAppendTwiceStoresAndAppliesOnce", TestAppendTwiceStoresAndAppliesOnce},
	{"TestAppendBatchKeepsOrderAndDuplicates", TestAppendBatchKeepsOrderAndDuplicates},
	{"TestSenderOfAFailedEventIsStoredByTheNext", TestSenderOfAFailedEventIsStoredByTheNext},
	{"TestPendingEventsAreAppliedAtTheNextStart", TestPendingEventsAreAppliedAtTheNextStart},
	{"TestAppendedEventThatCannotBeAppliedIsKeptAsFailed", TestAppendedEventThatCannotBeAppliedIsKeptAsFailed},
	{"TestAppendsOfOneBatchKeepTheirAnswersAndOrder", TestAppendsOfOneBatchKeepTheirAnswersAndOrder},
	{"TestAnyPendingSeesAStoredEventUntilItIsApplied", TestAnyPendingSeesAStoredEventUntilItIsApplied},
	{"TestStoredBodyThatNoLongerDecodesIsKeptAsFailed", TestStoredBodyThatNoLongerDecodesIsKeptAsFailed},
	{"TestProjectionKeepsArrivalOrderPastItsMemory", TestProjectionKeepsArrivalOrderPastItsMemory},
	{"TestProjectionKeepsArrivalOrderWhenApplyingIsSlow", TestProjectionKeepsArrivalOrderWhenApplyingIsSlow},
	{"TestReplayRefusesAnAppliedEventAndMarksItsEvent", TestReplayRefusesAnAppliedEventAndMarksItsEvent},
	{"TestEventSignedBySenderFailsOnAnotherSendersMessageStoredMeanwhile", TestEventSignedBySenderFailsOnAnotherSendersMessageStoredMeanwhile},
	{"TestWhatASendersSecretSaidBeforeTheMessageGoesOnlyToThatSendersMessage", TestWhatASendersSecretSaidBeforeTheMessageGoesOnlyToThatSendersMessage},
	{"TestContactNameFollowsTheNewestEvent", TestContactNameFollowsTheNewestEvent},
	// Conversations and messages: lists, paging, unread counts.
	{"TestUnreadCountsArePerUser", TestUnreadCountsArePerUser},
	{"TestAssign", TestAssign},
	{"TestAssignFromLeavesAnAssigneeChangedMeanwhile", TestAssignFromLeavesAnAssigneeChangedMeanwhile},
	{"TestSetStatus", TestSetStatus},
	{"TestManyAtOnceReadAsOneAtATime", TestManyAtOnceReadAsOneAtATime},
	{"TestViewCounts", TestViewCounts},
	// Replies and the outbox.
	{"TestQueueReplyWritesMessageAndEntryInOneTransaction", TestQueueReplyWritesMessageAndEntryInOneTransaction},
	{"TestQueueReplyFollowsTheWindow", TestQueueReplyFollowsTheWindow},
	{"TestClaimOutboxOnceUntilTheLeaseEnds", TestClaimOutboxOnceUntilTheLeaseEnds},
	{"TestClaimOutboxHoldsLaterRepliesBehindAnEarlierOne", TestClaimOutboxHoldsLaterRepliesBehindAnEarlierOne},
	{"TestOutboxSentStoresTheZavuIDAndStatus", TestOutboxSentStoresTheZavuIDAndStatus},
	{"TestStatusWebhookOvertakingTheAnswer", TestStatusWebhookOvertakingTheAnswer},
	{"TestAReportOnAnotherLineLeavesNoEmptyConversation", TestAReportOnAnotherLineLeavesNoEmptyConversation},
	{"TestAnswerAndWebhookRacing", TestAnswerAndWebhookRacing},
	{"TestOutboxFailMarksTheMessageFailed", TestOutboxFailMarksTheMessageFailed},
	{"TestRetryReply", TestRetryReply},
	{"TestLateReportsOfARetriedReplyStayWithIt", TestLateReportsOfARetriedReplyStayWithIt},
	{"TestOutboxSends", TestOutboxSends},
	{"TestOutboxRetriesTemporaryFailuresWithTheSameKey", TestOutboxRetriesTemporaryFailuresWithTheSameKey},
	{"TestOutboxFailsOnAPermanentError", TestOutboxFailsOnAPermanentError},
	{"TestOutboxGivesUpAfterMaxSendAttempts", TestOutboxGivesUpAfterMaxSendAttempts},
	{"TestOutboxSendsEachConversationInOrder", TestOutboxSendsEachConversationInOrder},
	{"TestOutboxFailsAnAnswerItCannotRecord", TestOutboxFailsAnAnswerItCannotRecord},
	{"TestOutboxKeepsEachConversationsOrderWhenSendsFail", TestOutboxKeepsEachConversationsOrderWhenSendsFail},
	{"TestOutboxSendsOtherConversationsWhileOneHangs", TestOutboxSendsOtherConversationsWhileOneHangs},
	{"TestOutboxPausesEverySendForARateLimit", TestOutboxPausesEverySendForARateLimit},
	{"TestARateLimitTellsWaitingRepliesWhenTheyGo", TestARateLimitTellsWaitingRepliesWhenTheyGo},
	{"TestARateLimitOnALastAttemptHoldsTheWaitingReplies", TestARateLimitOnALastAttemptHoldsTheWaitingReplies},
	{"TestAReplyFailingDuringARateLimitPauseWaitsForItsEnd", TestAReplyFailingDuringARateLimitPauseWaitsForItsEnd},
	{"TestARateLimitTellsRepliesNotYetTriedWhenTheyGo", TestARateLimitTellsRepliesNotYetTriedWhenTheyGo},
	{"TestAReplyQueuedDuringARateLimitPauseSaysWhenItGoes", TestAReplyQueuedDuringARateLimitPauseSaysWhenItGoes},
	{"TestARateLimitPausesEveryProcessSendingFromTheDatabase", TestARateLimitPausesEveryProcessSendingFromTheDatabase},
	{"TestAnOutboxStartedDuringARateLimitPauseWaitsForItsEnd", TestAnOutboxStartedDuringARateLimitPauseWaitsForItsEnd},
	{"TestAStoredPauseFarAheadHoldsAnOutboxForMaxPauseOnce", TestAStoredPauseFarAheadHoldsAnOutboxForMaxPauseOnce},
	{"TestAReplyQueuedDuringAPauseFarAheadWaitsMaxPauseAtMost", TestAReplyQueuedDuringAPauseFarAheadWaitsMaxPauseAtMost},
	{"TestAnOverlongRetryAfterPausesEverySendForMaxPause", TestAnOverlongRetryAfterPausesEverySendForMaxPause},
	{"TestAReplyBeingTriedAgainSaysWhenItsAttemptWasDue", TestAReplyBeingTriedAgainSaysWhenItsAttemptWasDue},
	// Sessions, users, tokens, settings, senders.
	{"TestSessionsKeepNoTokenInTheDatabase", TestSessionsKeepNoTokenInTheDatabase},
	{"TestSetupCodeUntilTheFirstUser", TestSetupCodeUntilTheFirstUser},
	{"TestCreateFirstAdmin", TestCreateFirstAdmin},
	{"TestCreateFirstAdminConcurrently", TestCreateFirstAdminConcurrently},
	{"TestUsersListsActiveFirstByName", TestUsersListsActiveFirstByName},
	{"TestSetRoleAndReactivateUser", TestSetRoleAndReactivateUser},
	{"TestRoleChangesAndReactivationsKeepWhatChangedMeanwhile", TestRoleChangesAndReactivationsKeepWhatChangedMeanwhile},
	{"TestSetRoleNeverLeavesNoActiveAdmin", TestSetRoleNeverLeavesNoActiveAdmin},
	{"TestDeactivateUserReturnsTheirConversationsToUnassigned", TestDeactivateUserReturnsTheirConversationsToUnassigned},
	{"TestMigrationHandsBackTheConversationsOfAgentsDeactivatedBefore", TestMigrationHandsBackTheConversationsOfAgentsDeactivatedBefore},
	{"TestSetPassword", TestSetPassword},
	{"TestAPITokenScopesCreatorsAndRevocation", TestAPITokenScopesCreatorsAndRevocation},
	{"TestAPITokenNameInUseIsRefused", TestAPITokenNameInUseIsRefused},
	{"TestSyncSendersKeepsWhatZavuSaysAndWebhookOnlySenders", TestSyncSendersKeepsWhatZavuSaysAndWebhookOnlySenders},
	{"TestSenderSecretIsWriteOnly", TestSenderSecretIsWriteOnly},
	{"TestReplacedSenderSecretCountsForItsGrace", TestReplacedSenderSecretCountsForItsGrace},
	{"TestMessageSenderIsTheSenderOfItsConversation", TestMessageSenderIsTheSenderOfItsConversation},
	{"TestSyncTemplatesKeepsCategory", TestSyncTemplatesKeepsCategory},
	{"TestSavedRepliesCRUD", TestSavedRepliesCRUD},
	{"TestPingAndCloseTwice", TestPingAndCloseTwice},
	// Labels, snoozes, saved views, notes, auto-replies, notifications,
	// retention of raw bodies, the commit observer.
	{"TestLabelsAreUniqueAndChecked", TestLabelsAreUniqueAndChecked},
	{"TestLabelsAreNamedInAnyCase", TestLabelsAreNamedInAnyCase},
	{"TestConversationsFilteredByALabelNamedInAnyCase", TestConversationsFilteredByALabelNamedInAnyCase},
	{"TestLabelsInOneOrderEverywhere", TestLabelsInOneOrderEverywhere},
	{"TestAgentsAndViewsInOneOrderByName", TestAgentsAndViewsInOneOrderByName},
	{"TestBulkUpdateAndUndo", TestBulkUpdateAndUndo},
	{"TestUpdateConversationsChecks", TestUpdateConversationsChecks},
	{"TestBulkAssignFromLeavesWhatChangedMeanwhile", TestBulkAssignFromLeavesWhatChangedMeanwhile},
	{"TestSnoozeLeavesOpenListsAndEndsOnTime", TestSnoozeLeavesOpenListsAndEndsOnTime},
	{"TestSnoozeTimerWakesOnChange", TestSnoozeTimerWakesOnChange},
	{"TestSnoozeEndsAtTheAgentsWallClockAcrossDST", TestSnoozeEndsAtTheAgentsWallClockAcrossDST},
	{"TestSavedViews", TestSavedViews},
	{"TestNoteRefusesEmptyTextAndUnknownConversation", TestNoteRefusesEmptyTextAndUnknownConversation},
	{"TestSendGuard", TestSendGuard},
	{"TestRecordActivityKeepsThePreview", TestRecordActivityKeepsThePreview},
	{"TestCustomerMessageReopensWithAnActivityLine", TestCustomerMessageReopensWithAnActivityLine},
	{"TestOutOfHoursOneAutoReplyPerClosedPeriod", TestOutOfHoursOneAutoReplyPerClosedPeriod},
	{"TestConversationNewAndInboundOfOneMessageTriggerOnce", TestConversationNewAndInboundOfOneMessageTriggerOnce},
	{"TestEchoesReactionsAndStatusesTriggerNothing", TestEchoesReactionsAndStatusesTriggerNothing},
	{"TestReplayNeverAutoReplies", TestReplayNeverAutoReplies},
	{"TestWindowClosedSendsTemplateOrLogsTheSkip", TestWindowClosedSendsTemplateOrLogsTheSkip},
	{"TestHourlyLimitStopsAKeywordLoop", TestHourlyLimitStopsAKeywordLoop},
	{"TestSMSStopGetsOnlyTheConfirmation", TestSMSStopGetsOnlyTheConfirmation},
	{"TestRepliesWaitingWhenTheCustomerOptsOutAreNotSent", TestRepliesWaitingWhenTheCustomerOptsOutAreNotSent},
	{"TestInvalidAutoRepliesAreNotSaved", TestInvalidAutoRepliesAreNotSaved},
	{"TestSavedAutoRepliesApplyToTheNextMessage", TestSavedAutoRepliesApplyToTheNextMessage},
	{"TestCSATCancelledByUndo", TestCSATCancelledByUndo},
	{"TestNotificationSettingsDefaultThenSavedPerAgent", TestNotificationSettingsDefaultThenSavedPerAgent},
	{"TestPushSubscriptionsPerAgent", TestPushSubscriptionsPerAgent},
	{"TestPushKeysAreMadeOnceAndKept", TestPushKeysAreMadeOnceAndKept},
	{"TestPruneRawBodiesKeepsTheLogAndFailedBodies", TestPruneRawBodiesKeepsTheLogAndFailedBodies},
	{"TestPruneRawBodiesSharesTheWriter", TestPruneRawBodiesSharesTheWriter},
	{"TestCommitObserverSeesEveryWriteTransaction", TestCommitObserverSeesEveryWriteTransaction},
	{"TestOutboxBacklog", TestOutboxBacklog},
	// Reports, their packed hours and CSAT summaries; mentions.
	{"TestOpeningsRollupEqualsScratch", TestOpeningsRollupEqualsScratch},
	{"TestGenerateIsDeterministic", TestGenerateIsDeterministic},
	{"TestGenerateOneConversation", TestGenerateOneConversation},
	{"TestGenerateRefusesWhatCannotBeMade", TestGenerateRefusesWhatCannotBeMade},
	{"TestReportSummaryOfAHandMadeWeek", TestReportSummaryOfAHandMadeWeek},
	{"TestMigrationBuildsTheRollupsOfAnExistingDatabase", TestMigrationBuildsTheRollupsOfAnExistingDatabase},
	{"TestReportHoursAcrossADaylightSavingChange", TestReportHoursAcrossADaylightSavingChange},
	{"TestReportSummaryWithinBusinessHours", TestReportSummaryWithinBusinessHours},
	{"TestReportSummaryByLabel", TestReportSummaryByLabel},
	{"TestReportSummaryEqualsScratch", TestReportSummaryEqualsScratch},
	{"TestMigrationPacksTheOpeningsOfAnExistingDatabase", TestMigrationPacksTheOpeningsOfAnExistingDatabase},
	{"TestReportHoursArePackedInTheBackground", TestReportHoursArePackedInTheBackground},
	{"TestWebhooksAreIngestedWhileReportHoursArePacked", TestWebhooksAreIngestedWhileReportHoursArePacked},
	{"TestReportOfAReopenedConversation", TestReportOfAReopenedConversation},
	{"TestReportOfACustomerWritingWhileSnoozed", TestReportOfACustomerWritingWhileSnoozed},
	{"TestReportOfAConversationHandedOver", TestReportOfAConversationHandedOver},
	{"TestReportKeepsADeactivatedAgentsFigures", TestReportKeepsADeactivatedAgentsFigures},
	{"TestReportSpreadsOfOneAndTwo", TestReportSpreadsOfOneAndTwo},
	{"TestReportOfAnUndoneResolve", TestReportOfAnUndoneResolve},
	{"TestReportOfALateMessageAfterItsHourWasPacked", TestReportOfALateMessageAfterItsHourWasPacked},
	{"TestReportAcrossClockChanges", TestReportAcrossClockChanges},
	{"TestReportCountsMessagesByTheQuarterHour", TestReportCountsMessagesByTheQuarterHour},
	{"TestReportOfLateStatusesAfterTheHourWasPacked", TestReportOfLateStatusesAfterTheHourWasPacked},
	{"TestReportWhereSummerTimeBeginsAtMidnight", TestReportWhereSummerTimeBeginsAtMidnight},
	{"TestReportOfAPhoneMessageWhoseStatusCameFirst", TestReportOfAPhoneMessageWhoseStatusCameFirst},
	{"TestReportOfOurReplyWhoseStatusCameFirst", TestReportOfOurReplyWhoseStatusCameFirst},
	{"TestReportOfFailedReplies", TestReportOfFailedReplies},
	{"TestReportOfARequestAcrossThePeriodsStart", TestReportOfARequestAcrossThePeriodsStart},
	{"TestReportOfAFailedReplyRetriedByTheNextAssignee", TestReportOfAFailedReplyRetriedByTheNextAssignee},
	{"TestUpgradeDerivesOpeningsInTheBackgroundAFewAtATime", TestUpgradeDerivesOpeningsInTheBackgroundAFewAtATime},
	{"TestOpeningsLeftToDeriveAtCloseAreDerivedAfterTheNextStart", TestOpeningsLeftToDeriveAtCloseAreDerivedAfterTheNextStart},
	{"TestCSATSurveyAndAnswer", TestCSATSurveyAndAnswer},
	{"TestNoteNeverReachesTheOutboxNorCountsAsAReply", TestNoteNeverReachesTheOutboxNorCountsAsAReply},
	{"TestMentionsListUnseenFirstAndGetSeen", TestMentionsListUnseenFirstAndGetSeen},
	{"TestEditAndDeleteNote", TestEditAndDeleteNote},
	{"TestInboundSinceWalksNewCustomerMessages", TestInboundSinceWalksNewCustomerMessages},
	{"TestInboundSinceTellsWhoHadTheConversation", TestInboundSinceTellsWhoHadTheConversation},
	// Search: messages and contacts, words, prefixes and substrings,
	// highlights, ranks, paging, filters and operators.
	{"TestSearchFindsEveryIndexedField", TestSearchFindsEveryIndexedField},
	{"TestSearchSnippetMarksMatch", TestSearchSnippetMarksMatch},
	{"TestSearchOfManyWordsAnswers", TestSearchOfManyWordsAnswers},
	{"TestSearchLongRepetitiveMessage", TestSearchLongRepetitiveMessage},
	{"TestSearchOfALongTermAnswers", TestSearchOfALongTermAnswers},
	{"TestSearchMarksNamesFoundWithoutAccents", TestSearchMarksNamesFoundWithoutAccents},
	{"TestSearchFollowsEditsPlaceholdersAndDeletes", TestSearchFollowsEditsPlaceholdersAndDeletes},
	{"TestSearchContactRename", TestSearchContactRename},
	{"TestSearchUnicode", TestSearchUnicode},
	{"TestSearchFindsShortWordsOfChineseAndJapanese", TestSearchFindsShortWordsOfChineseAndJapanese},
	{"TestSearchFindsContactsByShortPartsOfChineseNames", TestSearchFindsContactsByShortPartsOfChineseNames},
	{"TestSearchFindsEmoji", TestSearchFindsEmoji},
	{"TestSearchRanksWordsBeforeSubstringsAndNewerOnTies", TestSearchRanksWordsBeforeSubstringsAndNewerOnTies},
	{"TestSearchPhraseAndOperators", TestSearchPhraseAndOperators},
	{"TestSearchPastedMessage", TestSearchPastedMessage},
	{"TestSearchFromAQuotedNameOrNumber", TestSearchFromAQuotedNameOrNumber},
	{"TestSearchAndBetweenWords", TestSearchAndBetweenWords},
	{"TestSearchMinusLeavesAWordOut", TestSearchMinusLeavesAWordOut},
	{"TestSearchFilters", TestSearchFilters},
	{"TestSearchPaging", TestSearchPaging},
	{"TestSteadyListShowsEachConversationOnce", TestSteadyListShowsEachConversationOnce},
	{"TestContactsPagesShowEachContactOnceAsCustomersWrite", TestContactsPagesShowEachContactOnceAsCustomersWrite},
	{"TestSearchContactPagesStayPutAsCustomersWrite", TestSearchContactPagesStayPutAsCustomersWrite},
	{"TestSearchLabelFilter", TestSearchLabelFilter},
	{"TestSearchLabelNamedInAnyCase", TestSearchLabelNamedInAnyCase},
	{"TestSearchChangesInATransaction", TestSearchChangesInATransaction},
	{"TestSearchFindsWhatWaitsToBeIndexed", TestSearchFindsWhatWaitsToBeIndexed},
	{"TestSearchEditsAndDeletesWhileQueued", TestSearchEditsAndDeletesWhileQueued},
	{"TestContactSearchFindsWhatWaits", TestContactSearchFindsWhatWaits},
	{"TestContactSearchPagesStayPutAsCustomersArrive", TestContactSearchPagesStayPutAsCustomersArrive},
	{"TestSearchContentChangeWithTheSameText", TestSearchContentChangeWithTheSameText},
	{"TestEditContactReachesSearchAndStays", TestEditContactReachesSearchAndStays},
	{"TestEditContactKeepsATeammatesNotes", TestEditContactKeepsATeammatesNotes},
	{"TestContactsListAndSearch", TestContactsListAndSearch},
	{"TestContactsListLatestInContactFirst", TestContactsListLatestInContactFirst},
	{"TestSearchFindsEveryContactCard", TestSearchFindsEveryContactCard},
	{"TestPostgresIndexesStoredCardsAgain", TestPostgresIndexesStoredCardsAgain},
	{"TestAContactsLatestContactFollowsItsMessagesTimes", TestAContactsLatestContactFollowsItsMessagesTimes},
	{"TestSearchContactsBestMatchFirst", TestSearchContactsBestMatchFirst},
	{"TestSearchEqualContactsLatestActivityFirst", TestSearchEqualContactsLatestActivityFirst},
	{"TestSearchContactNamesWhateverTheApostrophe", TestSearchContactNamesWhateverTheApostrophe},
	{"TestSearchFindsPhoneNumbersHoweverWritten", TestSearchFindsPhoneNumbersHoweverWritten},
	{"TestSearchQueryWithControlCharacters", TestSearchQueryWithControlCharacters},
	{"TestReportRowsHoldNoConnectionWhileWritten", TestReportRowsHoldNoConnectionWhileWritten},
	{"TestSearchGreekAndRussianWhateverTheAccents", TestSearchGreekAndRussianWhateverTheAccents},
	{"TestSearchTypographicQuotes", TestSearchTypographicQuotes},
	{"TestSearchContactNamesTypedWithoutTheirLetters", TestSearchContactNamesTypedWithoutTheirLetters},
	{"TestSearchSameResultsOnBothEngines", TestSearchSameResultsOnBothEngines},
	{"TestPostgresSearchPlansForItsTerms", TestPostgresSearchPlansForItsTerms},
	{"TestPostgresMigrationFoldsKanaAsSQLite", TestPostgresMigrationFoldsKanaAsSQLite},
	{"TestPostgresMigrationsOfAnUpToDateDatabaseTakeNoLock", TestPostgresMigrationsOfAnUpToDateDatabaseTakeNoLock},
}

// TestPostgres runs the store's contract on PostgreSQL.
func TestPostgres(t *testing.T) {
	pgTestURL(t)
	for _, c := range pgContract {
		t.Run(c.name, func(t *testing.T) {
			// Each has its own schema; they wait mostly on the server.
			t.Parallel()
			c.test(t)
			if n, _ := pgOpens.Load(t.Name()); n == nil && !t.Skipped() {
				t.Error("the test opened no PostgreSQL database")
			}
		})
	}
}

// pgTestURLs maps the paths tests open again, and the redacted URLs
// DB.path holds on PostgreSQL, to their schemas' URLs.
var pgTestURLs sync.Map

// testOpen is Open(path, opts...) for a test that opens its database
// again: under TestPostgres, path stands for a schema of the test's own,
// the same each time, and a DB's path opens its schema again.
func testOpen(t testing.TB, path string, opts ...Option) (*DB, error) {
	t.Helper()
	if !onPostgres(t) {
		return Open(path, opts...)
	}
	u, ok := pgTestURLs.Load(path)
	if !ok {
		u = pgTestSchema(t)
		pgTestURLs.Store(path, u)
		pgTestURLs.Store(redactURL(u.(string)), u)
	}
	return Open(u.(string), opts...)
}

// pgSettings holds the settings of each test's PostgreSQL connections, by
// the test's name.
var pgSettings sync.Map

// withPostgresSettings makes the connections of the database t opens next
// on PostgreSQL start with settings (URL parameters, "enable_sort=off"),
// such as a plan to force.
func withPostgresSettings(t testing.TB, settings string) {
	pgSettings.Store(t.Name(), settings)
	t.Cleanup(func() { pgSettings.Delete(t.Name()) })
}
