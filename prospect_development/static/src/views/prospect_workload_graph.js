import { _t } from "@web/core/l10n/translation";
import { registry } from "@web/core/registry";
import { GraphModel } from "@web/views/graph/graph_model";
import { graphView } from "@web/views/graph/graph_view";

/**
 * The workload graph: the planned contacts of the salespeople (stacked bars, week
 * by week) with their capacity drawn over them as a line, where the standard
 * stacked graph draws the sum of the bars. Over-loaded weeks are the bars that
 * rise above the line.
 */
export class ProspectWorkloadGraphModel extends GraphModel {
    /**
     * The capacity comes with the planned contacts, in the same read_group (the
     * forecast is computed once): the standard loading is run with an ORM that
     * adds the capacity to the measures it asks, and the capacities of the groups
     * are summed by the label of the first grouping (the week).
     */
    async _loadDataPoints(metaData) {
        this.capacityByLabel = null;
        const { measure, groupBy, domains } = metaData;
        if (measure !== "planned_contacts" || !groupBy.length || domains.length !== 1) {
            return super._loadDataPoints(metaData);
        }
        const orm = this.orm;
        const answers = [];
        this.orm = Object.create(orm, {
            webReadGroup: {
                value: async (model, domain, fields, groupby, kwargs) => {
                    const answer = await orm.webReadGroup(
                        model,
                        domain,
                        [...fields, "capacity:sum"],
                        groupby,
                        kwargs
                    );
                    answers.push(answer);
                    return answer;
                },
            },
        });
        let dataPoints;
        try {
            dataPoints = await super._loadDataPoints(metaData);
        } finally {
            this.orm = orm;
        }
        const groups = answers.length === 1 ? answers[0].groups : [];
        if (groups.length === dataPoints.length) {
            this.capacityByLabel = new Map();
            dataPoints.forEach((point, index) => {
                const label = point.labels[0];
                this.capacityByLabel.set(
                    label,
                    (this.capacityByLabel.get(label) || 0) + (groups[index].capacity || 0)
                );
            });
        }
        return dataPoints;
    }

    _getLineOverlayDataset() {
        if (!this.capacityByLabel || !this.data.datasets.length) {
            return super._getLineOverlayDataset();
        }
        const labels = this.data.labels;
        return {
            label: _t("Capacity"),
            data: labels.map((label) => this.capacityByLabel.get(label) || 0),
            trueLabels: this.data.datasets[0].trueLabels || labels,
        };
    }
}

export const prospectWorkloadGraphView = {
    ...graphView,
    Model: ProspectWorkloadGraphModel,
};

registry.category("views").add("prospect_workload_graph", prospectWorkloadGraphView);
