/* 智能客服 — customer chat widget (mobile H5): native ES modules, no build step, no dependencies.
 *   conversation.js  the conversation, sending, the customer socket
 *   messages.js      the message list; buttons.js the chips and surveys in it
 *   composer.js      the input box and quick replies
 *   notices.js       banners and toast; typing.js the typing dots
 *   dialogs.js       the 结束会话 confirmation and the 留言 form
 *   surge.js         the busy notice in a surge (expected wait, 留言 first at level 2) */

import { elements } from '../shared/dom.js';
import { lockSurvey, unlockSurvey } from './buttons.js';
import * as composer from './composer.js';
import { endConversation, leaveMessage, resetConversation, sendPayload, start } from './conversation.js';
import * as dialogs from './dialogs.js';
import * as messages from './messages.js';
import * as surge from './surge.js';
import * as typing from './typing.js';

const el = elements(['messages', 'new-session', 'closed-restart', 'queue-leave']);

const LEAVE = '/leave_message';

/* A chip in a message: sends its payload (留言 opens the form); a survey answer locks its group unless sending
 * fails. */
function onChipClick(chip) {
  if (chip.dataset.payload === LEAVE) {
    dialogs.openLeaveForm();
    return;
  }
  const survey = chip.closest('.survey');
  if (survey) lockSurvey(survey, chip);
  sendPayload(chip.dataset.payload, chip.textContent).then((ok) => {
    if (!ok && survey) unlockSurvey(survey);
  });
}

messages.init({ onReply: typing.hideRemote });
dialogs.init({ onEndConfirmed: endConversation, onLeaveSubmit: leaveMessage });
composer.init({ onLeave: dialogs.openLeaveForm });
el.messages.addEventListener('click', (e) => {
  const chip = e.target.closest('button.chip');
  if (chip && !chip.disabled && el.messages.contains(chip)) onChipClick(chip);
});
el.newSession.addEventListener('click', () => { dialogs.confirmEnd(); });
el.closedRestart.addEventListener('click', () => { resetConversation(); });
el.queueLeave.addEventListener('click', () => { dialogs.openLeaveForm(); });
surge.init(() => { dialogs.openLeaveForm(); });
start();
