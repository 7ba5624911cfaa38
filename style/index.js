import './base.css';
import './productionize.css';
import './versions.css';
import './monitoring.css';
