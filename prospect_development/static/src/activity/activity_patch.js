import { Activity } from "@mail/core/web/activity";
import { patch } from "@web/core/utils/patch";

patch(Activity.prototype, {
    async onClickMarkAsDone(ev) {
        if (!this.props.activity.prospect_cadence) {
            return super.onClickMarkAsDone(...arguments);
        }
        // a cadence contact is done with its outcome, not with free text
        const thread = this.thread;
        // the form reads the saved lead, and must not be overwritten by it after
        await this.props.reloadParentView();
        await this.props.activity.logProspectOutcome();
        this.props.onActivityChanged(thread);
        // grade, next contact, need...: the lead changed on the server
        await this.props.reloadParentView();
    },
});
