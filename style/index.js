import './base.css';
import './productionize.css';
import './jobs.css';
import './versions.css';
import './lineage.css';
import './monitoring.css';
import './metric.css';
import './governance.css';
