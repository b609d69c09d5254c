import { Activity } from "@mail/core/web/activity_model";
import { assignIn } from "@mail/utils/common/misc";
import { patch } from "@web/core/utils/patch";

patch(Activity, {
    _insert(data) {
        const activity = super._insert(...arguments);
        assignIn(activity, data, ["prospect_cadence"]);
        return activity;
    },
});

patch(Activity.prototype, {
    /**
     * "Mark Done" of a cadence contact: the call outcome form, which marks the
     * activity done with the outcome. Resolves when the form is closed.
     */
    async logProspectOutcome() {
        const { action, orm } = this.store.env.services;
        const outcomeAction = await orm.call(
            "mail.activity",
            "action_prospect_log_outcome",
            [[this.id]]
        );
        await new Promise((resolve) => action.doAction(outcomeAction, { onClose: resolve }));
        this.store.activityBroadcastChannel?.postMessage({
            type: "RELOAD_CHATTER",
            payload: { id: this.res_id, model: this.res_model },
        });
    },
});
