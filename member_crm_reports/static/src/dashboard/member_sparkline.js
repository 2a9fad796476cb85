import { Component } from "@odoo/owl";

const WIDTH = 160;
const HEIGHT = 40;
const PAD = 3;

/**
 * A small inline SVG line of a figure's months (no chart library): one point per
 * month, gaps where there is no figure, the last point (this month) marked.
 */
export class MemberSparkline extends Component {
    static template = "member_crm_reports.MemberSparkline";
    static props = {
        values: { type: Array },
        labels: { type: Array, optional: true },
        formatter: { type: Function, optional: true },
    };

    get width() {
        return WIDTH;
    }

    get height() {
        return HEIGHT;
    }

    /** [{x, y, value, label}] of the months that have a figure. */
    get points() {
        const values = this.props.values;
        const known = values.filter((v) => v !== null && v !== undefined);
        if (!known.length) {
            return [];
        }
        const min = Math.min(...known);
        const max = Math.max(...known);
        const span = max - min || 1;
        const step = values.length > 1 ? (WIDTH - 2 * PAD) / (values.length - 1) : 0;
        const points = [];
        values.forEach((value, index) => {
            if (value === null || value === undefined) {
                return;
            }
            const y = max === min ? HEIGHT / 2 : HEIGHT - PAD - ((value - min) / span) * (HEIGHT - 2 * PAD);
            const label = (this.props.labels || [])[index] || "";
            const shown = this.props.formatter ? this.props.formatter(value) : String(value);
            points.push({ x: PAD + index * step, y, index, title: `${label}: ${shown}` });
        });
        return points;
    }

    /** Polyline segments: consecutive months with a figure. */
    get segments() {
        const segments = [];
        let current = [];
        let last = null;
        for (const point of this.points) {
            if (last !== null && point.index !== last + 1) {
                segments.push(current);
                current = [];
            }
            current.push(`${point.x.toFixed(1)},${point.y.toFixed(1)}`);
            last = point.index;
        }
        if (current.length) {
            segments.push(current);
        }
        return segments.map((segment) => segment.join(" "));
    }

    get lastPoint() {
        const points = this.points;
        const last = points[points.length - 1];
        return last && last.index === this.props.values.length - 1 ? last : null;
    }
}
