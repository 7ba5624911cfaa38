import './base.css';
import './productionize.css';
import './monitoring.css';
